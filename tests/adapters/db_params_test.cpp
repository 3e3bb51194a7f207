// A db param written `*[N]` is answered by walking the context node's children instead of
// libxml2's XPath evaluator: the same values, on any document.
#include <doctest/doctest.h>

#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <yaml-cpp/yaml.h>

#include <random>
#include <string>
#include <vector>

#include "adapters/db/db_config.hpp"
#include "adapters/db/db_request.hpp"
#include "core/config/config_node.hpp"
#include "core/xml/xml.hpp"

using namespace egov;
using adapters::db::DbConfig;
using adapters::db::DbParam;
using adapters::db::DbStatement;
using adapters::db::positionalChild;

namespace {

const xmlChar* xc(const char* text) {
  return reinterpret_cast<const xmlChar*>(text);
}

// One statement over `for_each` (empty: runs once, on the document) with a param per
// position 1..5, each written `*[N]`; `fast` says whether the walk answers them or the
// evaluator (as it would for any other XPath).
DbConfig config(const std::string& for_each, bool fast) {
  DbStatement statement;
  statement.name = "s";
  statement.sql = "x";
  statement.driver_sql = "x";
  if (!for_each.empty()) {
    statement.for_each_xpath = for_each;
    statement.for_each.reset(xmlXPathCompile(xc(for_each.c_str())));
    REQUIRE(statement.for_each);
  }
  for (int n = 1; n <= 5; ++n) {
    DbParam param;
    param.name = "p" + std::to_string(n);
    param.xpath = "*[" + std::to_string(n) + "]";
    param.expr.reset(xmlXPathCompile(xc(param.xpath.c_str())));
    REQUIRE(param.expr);
    param.child_element = fast ? positionalChild(param.xpath) : 0;
    REQUIRE(param.child_element == (fast ? n : 0));
    statement.params.push_back(std::move(param));
  }
  DbConfig config;
  config.statements.push_back(std::move(statement));
  return config;
}

// A random tree: elements (some in a namespace, some empty, some nested), texts, CDATA,
// comments and processing instructions, attributes.
void grow(std::mt19937& random, xmlDoc* doc, xmlNode* parent, xmlNs* ns, int depth) {
  const int children = static_cast<int>(random() % 7);
  for (int i = 0; i < children; ++i) {
    xmlNode* child = nullptr;
    switch (random() % 8) {
      case 0:
        child = xmlNewDocText(doc, xc(random() % 2 ? "\n  " : "testo"));
        break;
      case 1:
        child = xmlNewCDataBlock(doc, xc("<cdata>"), 7);
        break;
      case 2:
        child = xmlNewDocComment(doc, xc("nota"));
        break;
      case 3:
        child = xmlNewDocPI(doc, xc("pi"), xc("dati"));
        break;
      default: {
        child = xmlNewDocNode(doc, random() % 3 ? nullptr : ns, xc("f"), nullptr);
        const auto kind = random() % 5;
        if (kind == 0) {
          xmlAddChild(child,
                      xmlNewDocText(doc, xc(("v" + std::to_string(random() % 100)).c_str())));
        } else if (kind == 1) {  // two texts around a comment
          xmlAddChild(child, xmlNewDocText(doc, xc("a")));
          xmlAddChild(child, xmlNewDocComment(doc, xc("c")));
          xmlAddChild(child, xmlNewDocText(doc, xc("b")));
        } else if (kind == 2 && depth < 3) {
          grow(random, doc, child, ns, depth + 1);
        }  // else empty
        if (random() % 3 == 0) xmlNewProp(child, xc("name"), xc("campo"));
      }
    }
    xmlAddChild(parent, child);
  }
}

}  // namespace

TEST_CASE("db param *[N]: the walk gives the evaluator's values on 400 random documents") {
  std::mt19937 random(20261127);
  // Context nodes of every kind: the document, elements, texts, comments and
  // processing instructions (node()), attributes, namespaces.
  const std::vector<std::string> selections{"",          "/*",   "/*/*",          "//*",
                                            "/*/node()", "//@*", "//namespace::*"};
  for (int round = 0; round < 400; ++round) {
    core::XmlDocPtr doc(xmlNewDoc(xc("1.0")));
    xmlNode* root = xmlNewDocNode(doc.get(), nullptr, xc("rows"), nullptr);
    xmlDocSetRootElement(doc.get(), root);
    xmlNs* ns = xmlNewNs(root, xc("urn:egovbus:csv"), xc("c"));
    if (random() % 2) xmlAddPrevSibling(root, xmlNewDocComment(doc.get(), xc("prima")));
    grow(random, doc.get(), root, ns, 0);
    for (const auto& selection : selections) {
      CAPTURE(round);
      CAPTURE(selection);
      CAPTURE(core::serializeXml(*doc));
      const auto fast_config = config(selection, true);
      const auto slow_config = config(selection, false);
      auto fast = adapters::db::resolveDbCall(fast_config, *doc);
      auto slow = adapters::db::resolveDbCall(slow_config, *doc);
      REQUIRE(fast);
      REQUIRE(slow);
      CHECK(fast->runs == slow->runs);
    }
  }
}

TEST_CASE("db param *[N]: only that form is walked") {
  CHECK(positionalChild("*[1]") == 1);
  CHECK(positionalChild("*[6]") == 6);
  CHECK(positionalChild(" * [ 12 ]\n") == 12);
  CHECK(positionalChild("*[999999]") == 999999);
  CHECK(positionalChild("*[1000000]") == 0);
  CHECK(positionalChild("*[0]") == 0);
  CHECK(positionalChild("*[01]") == 0);
  CHECK(positionalChild("*[1.0]") == 0);
  CHECK(positionalChild("*[last()]") == 0);
  CHECK(positionalChild("*[1][1]") == 0);
  CHECK(positionalChild("*[1]/x") == 0);
  CHECK(positionalChild("x[1]") == 0);
  CHECK(positionalChild("child::*[1]") == 0);
  CHECK(positionalChild("*[-1]") == 0);
  CHECK(positionalChild("*[") == 0);
  CHECK(positionalChild("") == 0);
}

TEST_CASE("db param *[N]: a statement's params written so are walked, the others evaluated") {
  core::ConfigErrors errors;
  core::ConfigNode node(
      YAML::Load("type: db\ndriver: sqlite\npath: /tmp/none.db\n"
                 "statements:\n"
                 "  carica:\n"
                 "    for_each: /*/*\n"
                 "    sql: INSERT INTO t VALUES (:a, :b, :c)\n"
                 "    params: { a: '*[1]', b: ' * [ 3 ] ', c: '*[@name = \"c\"]' }\n"),
      std::make_shared<const std::string>("test.yaml"), "endpoints.archivio", &errors);
  auto config = adapters::db::parseDbConfig(node);
  REQUIRE(config);
  CHECK(errors.empty());
  const auto& params = config->statements.front().params;
  REQUIRE(params.size() == 3);
  CHECK(params[0].child_element == 1);
  CHECK(params[1].child_element == 3);
  CHECK(params[2].child_element == 0);
}
