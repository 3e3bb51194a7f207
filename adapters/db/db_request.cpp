#include "adapters/db/db_request.hpp"

#include <algorithm>
#include <cstring>

#include <libxml/xpathInternals.h>

#include "adapters/db/db_rows.hpp"
#include "core/json/json_xml.hpp"

namespace egov::adapters::db {
namespace {

using core::ErrorKind;

struct XPathContextDeleter {
  void operator()(xmlXPathContext* ctx) const { xmlXPathFreeContext(ctx); }
};
struct XPathObjectDeleter {
  void operator()(xmlXPathObject* obj) const { xmlXPathFreeObject(obj); }
};
struct XmlStringDeleter {
  void operator()(xmlChar* text) const { xmlFree(text); }
};

const xmlChar* xc(const char* s) {
  return reinterpret_cast<const xmlChar*>(s);
}

core::Error mappingError(std::string message) {
  return core::makeError(ErrorKind::mapping_failed, std::move(message));
}

bool inDbNamespace(const xmlNode* node, bool or_none) {
  if (!node->ns) return or_none;
  return std::strcmp(reinterpret_cast<const char*>(node->ns->href), kDbNs) == 0;
}

bool isBlank(const xmlNode* node) {
  return node->type == XML_COMMENT_NODE || xmlIsBlankNode(const_cast<xmlNode*>(node));
}

std::string knownStatements(const DbConfig& config) {
  std::string out;
  for (const auto& statement : config.statements) {
    out += (out.empty() ? "" : ", ") + statement.name;
  }
  return out;
}

core::Result<DbCall> fromEnvelope(const DbConfig& config, const xmlNode& root) {
  const std::string name = core::xmlAttr(&root, "statement");
  DbCall call;
  if (name.empty()) {
    if (config.statements.size() != 1) {
      return mappingError("query envelope: attribute statement is needed (" +
                          knownStatements(config) + ")");
    }
    call.statement = &config.statements.front();
  } else {
    call.statement = config.find(name);
    if (!call.statement) {
      return mappingError("query envelope: unknown statement " + name + " (" +
                          knownStatements(config) + ")");
    }
  }
  const auto& params = call.statement->params;
  call.values.resize(params.size());
  std::vector<bool> given(params.size(), false);
  for (const xmlNode* child = root.children; child; child = child->next) {
    if (isBlank(child)) continue;
    if (child->type != XML_ELEMENT_NODE || !inDbNamespace(child, true) ||
        std::strcmp(reinterpret_cast<const char*>(child->name), "param") != 0) {
      return mappingError("query envelope: only <param> elements may be in <query>");
    }
    const std::string param = core::xmlAttr(child, "name");
    auto it = std::find_if(params.begin(), params.end(),
                           [&](const DbParam& p) { return p.name == param; });
    if (it == params.end()) {
      return mappingError("query envelope: statement " + call.statement->name +
                          " has no param named '" + param + "'");
    }
    const auto index = static_cast<std::size_t>(it - params.begin());
    if (given[index]) return mappingError("query envelope: param " + param + " given twice");
    given[index] = true;
    if (core::xmlAttr(child, "null") != "true") call.values[index] = core::xmlText(child);
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (!given[i]) return mappingError("query envelope: missing param " + params[i].name);
  }
  return call;
}

core::Result<ParamValues> evaluateParams(const DbStatement& statement, const xmlDoc& body) {
  auto* doc = const_cast<xmlDoc*>(&body);
  std::unique_ptr<xmlXPathContext, XPathContextDeleter> ctx(xmlXPathNewContext(doc));
  if (!ctx) return core::makeError(ErrorKind::internal, "out of memory for XPath");
  ctx->node = reinterpret_cast<xmlNode*>(doc);
  xmlXPathRegisterNs(ctx.get(), xc(core::kXPathFnPrefix), xc(core::kXpathFunctionsNs));
  ParamValues values;
  for (const auto& param : statement.params) {
    std::unique_ptr<xmlXPathObject, XPathObjectDeleter> result(
        xmlXPathCompiledEval(param.expr.get(), ctx.get()));
    if (!result) {
      return mappingError("param " + param.name + ": XPath failed: " + param.xpath);
    }
    if (result->type == XPATH_NODESET && xmlXPathNodeSetIsEmpty(result->nodesetval)) {
      values.emplace_back(std::nullopt);
      continue;
    }
    std::unique_ptr<xmlChar, XmlStringDeleter> text(xmlXPathCastToString(result.get()));
    if (!text) return core::makeError(ErrorKind::internal, "out of memory for XPath");
    values.emplace_back(reinterpret_cast<const char*>(text.get()));
  }
  return values;
}

}  // namespace

core::Result<DbCall> resolveDbCall(const DbConfig& config, const xmlDoc& body) {
  const xmlNode* root = xmlDocGetRootElement(const_cast<xmlDoc*>(&body));
  if (root && inDbNamespace(root, false) &&
      std::strcmp(reinterpret_cast<const char*>(root->name), "query") == 0) {
    return fromEnvelope(config, *root);
  }
  if (config.statements.size() != 1) {
    return mappingError("the endpoint has several statements (" + knownStatements(config) +
                        "): the body must be a <query statement=\"...\"> in " + kDbNs);
  }
  DbCall call;
  call.statement = &config.statements.front();
  auto values = evaluateParams(*call.statement, body);
  if (!values) return std::move(values).error();
  call.values = std::move(values).value();
  return call;
}

}  // namespace egov::adapters::db
