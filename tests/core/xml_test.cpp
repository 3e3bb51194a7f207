#include <doctest/doctest.h>

#include "core/xml/xml.hpp"

using namespace egov::core;

TEST_CASE("parseXml reads a well-formed document and serializes it back") {
  auto doc = parseXml("<a x=\"1\"><b>text</b></a>");
  REQUIRE(doc.ok());
  CHECK(serializeXml(**doc) == "<a x=\"1\"><b>text</b></a>");
}

TEST_CASE("parseXml names line and column of a syntax error") {
  auto doc = parseXml("<a>\n<b></a>", {}, "body");
  REQUIRE(!doc.ok());
  CHECK(doc.error().kind == ErrorKind::bad_request);
  CHECK(doc.error().message.rfind("body:2:", 0) == 0);
}

TEST_CASE("parseXml refuses any DOCTYPE, so no entity is ever expanded") {
  const char* xxe =
      "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>";
  auto doc = parseXml(xxe);
  REQUIRE(!doc.ok());
  CHECK(doc.error().message.find("DOCTYPE is not allowed") != std::string::npos);

  const char* laughs =
      "<!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]><l>&b;</l>";
  CHECK(!parseXml(laughs).ok());
}

TEST_CASE("parseXml enforces depth, node and size limits") {
  std::string deep;
  for (int i = 0; i < 50; ++i) deep += "<d>";
  for (int i = 0; i < 50; ++i) deep += "</d>";
  XmlLimits limits;
  limits.max_depth = 20;
  auto too_deep = parseXml(deep, limits);
  REQUIRE(!too_deep.ok());
  CHECK(too_deep.error().message.find("nesting too deep") != std::string::npos);

  limits = {};
  limits.max_nodes = 10;
  CHECK(!parseXml(deep, limits).ok());

  limits = {};
  limits.max_bytes = 8;
  auto big = parseXml("<a>0123456789</a>", limits);
  REQUIRE(!big.ok());
  CHECK(big.error().kind == ErrorKind::payload_too_large);
}
