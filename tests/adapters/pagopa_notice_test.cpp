// Notice numbers and IUV check digits (mod 93), and the urn:egovbus:pagopa mapping functions.
#include <doctest/doctest.h>

#include "adapters/pagopa/notice_number.hpp"
#include "core/mapping/xslt_mapping.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;
using namespace egov::adapters::pagopa;

TEST_CASE("pagopa notice: aux digit 3 with a segregation code, check digits mod 93") {
  auto notice = makeNoticeNumber(3, "01", "1");
  REQUIRE(notice.ok());
  // 3010000000000001 mod 93 = 44
  CHECK(notice->text == "301000000000000144");
  CHECK(notice->aux_digit == 3);
  CHECK(notice->code == "01");
  CHECK(notice->iuv == "01000000000000144");
  CHECK(parseNoticeNumber("301000000000000144").ok());
  CHECK(makeNoticeNumber(3, "01", "8")->text == "301000000000000851");
  // A wrong check digit, a typo in the body, a wrong length or an unknown aux digit.
  CHECK(parseNoticeNumber("301000000000000145").error().message.find("should be 44") !=
        std::string::npos);
  CHECK_FALSE(parseNoticeNumber("301000000000000244").ok());
  CHECK_FALSE(parseNoticeNumber("30100000000000014").ok());
  CHECK_FALSE(parseNoticeNumber("30100000000000014a").ok());
  CHECK_FALSE(parseNoticeNumber("401000000000000144").ok());
}

TEST_CASE("pagopa notice: aux digit 0 with an application code, aux 1 and 2") {
  auto notice = makeNoticeNumber(0, "12", "12345");
  REQUIRE(notice.ok());
  CHECK(notice->text == "012000000001234584");  // 0120000000012345 mod 93 = 84
  CHECK(notice->code == "12");
  CHECK(notice->iuv == "000000001234584");
  // Aux 1 carries no check digits; aux 2 does, over its 15-digit base.
  auto one = parseNoticeNumber("112345678901234567");
  REQUIRE(one.ok());
  CHECK(one->iuv == "12345678901234567");
  CHECK(parseNoticeNumber("2123456789012345" + *checkDigits("2123456789012345")).ok());
  CHECK_FALSE(parseNoticeNumber("212345678901234500").ok());
  // Out of shape: other aux digits, codes, bases.
  CHECK_FALSE(makeNoticeNumber(1, "01", "1").ok());
  CHECK_FALSE(makeNoticeNumber(3, "1", "1").ok());
  CHECK_FALSE(makeNoticeNumber(3, "01", "12345678901234").ok());
  CHECK_FALSE(makeNoticeNumber(3, "01", "").ok());
  CHECK_FALSE(makeNoticeNumber(3, "01", "-5").ok());
}

TEST_CASE("pagopa notice: the official examples carry no valid check digits") {
  // pagopa-mock-ec's notice numbers: 3020099213371260 mod 93 = 51, not 00.
  CHECK(parseNoticeNumber("302009921337126000").error().message.find("should be 51") !=
        std::string::npos);
  CHECK_FALSE(parseNoticeNumber("311018351493172600").ok());
}

TEST_CASE("pagopa notice: amounts and the QR code payload") {
  CHECK(amountToCents("120") == 12000);
  CHECK(amountToCents("120.5") == 12050);
  CHECK(amountToCents("0.05") == 5);
  for (const char* bad : {"", "1.234", "-1.00", "1e3", "1,50", ".5", "5.", "12a"}) {
    CAPTURE(bad);
    CHECK_FALSE(amountToCents(bad).has_value());
  }
  CHECK(centsToAmount(12050) == "120.50");
  CHECK(centsToAmount(5) == "0.05");
  CHECK(*qrPayload("301000000000000144", "80015010723", "120.5") ==
        "PAGOPA|002|301000000000000144|80015010723|12050");
  CHECK_FALSE(qrPayload("301000000000000145", "80015010723", "1").ok());
  CHECK_FALSE(qrPayload("301000000000000144", "8001501072", "1").ok());
  CHECK_FALSE(qrPayload("301000000000000144", "80015010723", "0").ok());
}

TEST_CASE("pagopa notice: mapping functions in urn:egovbus:pagopa") {
  test::TempConfig config;
  config.write(
      "f.xsl",
      "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\"\n"
      "    xmlns:pagopa=\"urn:egovbus:pagopa\">\n"
      "  <xsl:template match=\"/in\">\n"
      "    <out n=\"{pagopa:notice-number(@aux, @code, @base)}\"\n"
      "         iuv=\"{pagopa:iuv(pagopa:notice-number(@aux, @code, @base))}\"\n"
      "         valid=\"{pagopa:valid-notice-number(@check)}\"\n"
      "         digits=\"{pagopa:check-digits('3010000000000001')}\"\n"
      "         qr=\"{pagopa:qr-code(pagopa:notice-number(@aux, @code, @base), "
      "'80015010723', pagopa:amount(@amount))}\"\n"
      "         amount=\"{pagopa:amount(@amount)}\"/>\n"
      "  </xsl:template>\n"
      "</xsl:stylesheet>\n");
  auto mapping = core::XsltMapping::compile(config.root() / "f.xsl");
  REQUIRE(mapping.ok());
  auto run = [&](const char* input) {
    auto doc = core::parseXml(input).value();
    return (*mapping)->apply(*doc, {}, core::MappingContext{});
  };
  auto out = run("<in aux='3' code='01' base='1' check='301000000000000145' amount='7.5'/>");
  REQUIRE_MESSAGE(out.ok(), out.error().message);
  const auto text = core::serializeXml(**out);
  CHECK(text.find("n=\"301000000000000144\"") != std::string::npos);
  CHECK(text.find("iuv=\"01000000000000144\"") != std::string::npos);
  CHECK(text.find("valid=\"false\"") != std::string::npos);
  CHECK(text.find("digits=\"44\"") != std::string::npos);
  CHECK(text.find("qr=\"PAGOPA|002|301000000000000144|80015010723|750\"") != std::string::npos);
  CHECK(text.find("amount=\"7.50\"") != std::string::npos);
  // A value the functions cannot use stops the mapping, naming the function.
  auto bad = run("<in aux='1' code='01' base='1' check='' amount='1'/>");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("notice-number()") != std::string::npos);
  CHECK_FALSE(run("<in aux='3' code='01' base='1' check='' amount='1,5'/>").ok());
}
