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

bool isDbElement(const xmlNode* node, const char* name) {
  return node->type == XML_ELEMENT_NODE && inDbNamespace(node, true) &&
         std::strcmp(reinterpret_cast<const char*>(node->name), name) == 0;
}

// The <param> children of `parent`: every param of `statement` once, and no other.
core::Result<ParamValues> envelopeParams(const DbStatement& statement, const xmlNode& parent,
                                         const std::string& where) {
  const auto& params = statement.params;
  ParamValues values(params.size());
  std::vector<bool> given(params.size(), false);
  for (const xmlNode* child = parent.children; child; child = child->next) {
    if (isBlank(child)) continue;
    if (!isDbElement(child, "param")) {
      return mappingError(where + "only <param> elements may be in <" +
                          reinterpret_cast<const char*>(parent.name) + ">");
    }
    const std::string param = core::xmlAttr(child, "name");
    auto it = std::find_if(params.begin(), params.end(),
                           [&](const DbParam& p) { return p.name == param; });
    if (it == params.end()) {
      return mappingError(where + "statement " + statement.name + " has no param named '" + param +
                          "'");
    }
    const auto index = static_cast<std::size_t>(it - params.begin());
    if (given[index]) return mappingError(where + "param " + param + " given twice");
    given[index] = true;
    if (core::xmlAttr(child, "null") != "true") values[index] = core::xmlText(child);
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (!given[i]) return mappingError(where + "missing param " + params[i].name);
  }
  return values;
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
  if (!call.statement->for_each) {
    auto values = envelopeParams(*call.statement, root, "query envelope: ");
    if (!values) return std::move(values).error();
    call.runs.push_back(std::move(values).value());
    return call;
  }
  for (const xmlNode* child = root.children; child; child = child->next) {
    if (isBlank(child)) continue;
    if (!isDbElement(child, "row")) {
      return mappingError("query envelope: statement " + call.statement->name +
                          " runs for_each: only <row> elements may be in <query>");
    }
    auto values =
        envelopeParams(*call.statement, *child,
                       "query envelope, row " + std::to_string(call.runs.size() + 1) + ": ");
    if (!values) return std::move(values).error();
    call.runs.push_back(std::move(values).value());
  }
  return call;
}

// The string value of an element: its one text child without a copy by libxml2, else the
// text of all its descendants, as XPath's string() gives it (xmlNodeGetContent).
core::Result<std::optional<std::string>> elementText(const xmlNode* node) {
  const xmlNode* child = node->children;
  if (child && !child->next && child->type == XML_TEXT_NODE && child->content) {
    return std::optional<std::string>(reinterpret_cast<const char*>(child->content));
  }
  std::unique_ptr<xmlChar, XmlStringDeleter> text(xmlNodeGetContent(node));
  if (!text) return core::makeError(ErrorKind::internal, "out of memory for XPath");
  return std::optional<std::string>(reinterpret_cast<const char*>(text.get()));
}

// The string value of one param's XPath on the context node; nullopt for an empty node-set.
core::Result<std::optional<std::string>> evaluateParam(const DbParam& param, xmlXPathContext& ctx) {
  // `*[N]` on an element or the document: the N-th element child, by walking the children
  // (libxml2's evaluator builds node-sets for it: about 1,250 instructions a param). Other
  // context nodes (attributes, namespaces, text) go through the evaluator.
  if (param.child_element > 0 && ctx.node &&
      (ctx.node->type == XML_ELEMENT_NODE || ctx.node->type == XML_DOCUMENT_NODE)) {
    int seen = 0;
    for (const xmlNode* child = ctx.node->children; child; child = child->next) {
      if (child->type == XML_ELEMENT_NODE && ++seen == param.child_element) {
        return elementText(child);
      }
    }
    return std::optional<std::string>();
  }
  std::unique_ptr<xmlXPathObject, XPathObjectDeleter> result(
      xmlXPathCompiledEval(param.expr.get(), &ctx));
  if (!result) return mappingError("param " + param.name + ": XPath failed: " + param.xpath);
  if (result->type == XPATH_NODESET && xmlXPathNodeSetIsEmpty(result->nodesetval)) {
    return std::optional<std::string>();
  }
  if (result->type == XPATH_NODESET && result->nodesetval->nodeNr == 1 &&
      result->nodesetval->nodeTab[0]->type == XML_ELEMENT_NODE) {
    return elementText(result->nodesetval->nodeTab[0]);  // the usual param
  }
  std::unique_ptr<xmlChar, XmlStringDeleter> text(xmlXPathCastToString(result.get()));
  if (!text) return core::makeError(ErrorKind::internal, "out of memory for XPath");
  return std::optional<std::string>(reinterpret_cast<const char*>(text.get()));
}

core::Result<ParamRuns> evaluateParams(const DbStatement& statement, const xmlDoc& body) {
  auto* doc = const_cast<xmlDoc*>(&body);
  std::unique_ptr<xmlXPathContext, XPathContextDeleter> ctx(xmlXPathNewContext(doc));
  if (!ctx) return core::makeError(ErrorKind::internal, "out of memory for XPath");
  ctx->node = reinterpret_cast<xmlNode*>(doc);
  xmlXPathRegisterNs(ctx.get(), xc(core::kXPathFnPrefix), xc(core::kXpathFunctionsNs));
  // Reuses the XPath objects and node-sets of one evaluation in the next, instead of
  // allocating them again for every param of every run.
  if (statement.for_each) xmlXPathContextSetCache(ctx.get(), 1, -1, 0);

  // The context nodes of the runs: the document, or each node for_each selects.
  std::unique_ptr<xmlXPathObject, XPathObjectDeleter> selected;
  std::vector<xmlNode*> contexts{ctx->node};
  if (statement.for_each) {
    selected.reset(xmlXPathCompiledEval(statement.for_each.get(), ctx.get()));
    if (!selected) {
      return mappingError("for_each: XPath failed: " + statement.for_each_xpath);
    }
    if (selected->type != XPATH_NODESET) {
      return mappingError("for_each: the XPath must select nodes: " + statement.for_each_xpath);
    }
    const xmlNodeSet* nodes = selected->nodesetval;
    const int count = nodes ? nodes->nodeNr : 0;
    contexts.assign(count > 0 ? nodes->nodeTab : nullptr,
                    count > 0 ? nodes->nodeTab + count : nullptr);
  }

  ParamRuns runs;
  runs.reserve(contexts.size());
  for (std::size_t i = 0; i < contexts.size(); ++i) {
    ctx->node = contexts[i];
    ctx->contextSize = static_cast<int>(contexts.size());
    ctx->proximityPosition = static_cast<int>(i) + 1;
    ParamValues values;
    values.reserve(statement.params.size());
    for (const auto& param : statement.params) {
      auto value = evaluateParam(param, *ctx);
      if (!value) return runError(statement, i, contexts.size(), std::move(value).error());
      values.push_back(std::move(value).value());
    }
    runs.push_back(std::move(values));
  }
  return runs;
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
  auto runs = evaluateParams(*call.statement, body);
  if (!runs) return std::move(runs).error();
  call.runs = std::move(runs).value();
  return call;
}

}  // namespace egov::adapters::db
