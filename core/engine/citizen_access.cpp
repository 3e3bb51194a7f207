#include "core/engine/citizen_access.hpp"

#include <libxml/xpathInternals.h>

#include "core/json/json_xml.hpp"

namespace egov::core {
namespace {

struct XPathContextDeleter {
  void operator()(xmlXPathContext* ctx) const { xmlXPathFreeContext(ctx); }
};
struct XPathObjectDeleter {
  void operator()(xmlXPathObject* obj) const { xmlXPathFreeObject(obj); }
};
struct XmlCharDeleter {
  void operator()(xmlChar* text) const { xmlFree(text); }
};

const xmlChar* xc(const char* s) {
  return reinterpret_cast<const xmlChar*>(s);
}

// A fiscal code as a request may write it: surrounding blanks and lower case do not make it
// someone else's.
std::string normalized(const xmlChar* text) {
  std::string value = text ? reinterpret_cast<const char*>(text) : "";
  const auto begin = value.find_first_not_of(" \t\r\n");
  const auto end = value.find_last_not_of(" \t\r\n");
  value = begin == std::string::npos ? std::string() : value.substr(begin, end - begin + 1);
  for (auto& c : value) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return value;
}

Result<void> checkSelfOnly(const CitizenRequirement& require, const Exchange& exchange) {
  const auto forbidden = [&](const std::string& why) {
    return makeError(ErrorKind::forbidden, why + " (self_only: " + require.self_only + ")");
  };
  if (!exchange.body) return forbidden("the request names no fiscal code");
  std::unique_ptr<xmlXPathContext, XPathContextDeleter> ctx(
      xmlXPathNewContext(exchange.body.get()));
  if (!ctx) return makeError(ErrorKind::internal, "out of memory for XPath");
  ctx->node = reinterpret_cast<xmlNode*>(exchange.body.get());
  xmlXPathRegisterNs(ctx.get(), xc(kXPathFnPrefix), xc(kXpathFunctionsNs));
  std::unique_ptr<xmlXPathObject, XPathObjectDeleter> result(
      xmlXPathCompiledEval(require.self_only_expr.get(), ctx.get()));
  if (!result) return makeError(ErrorKind::internal, "XPath failed: " + require.self_only);

  std::vector<std::string> named;
  if (result->type == XPATH_NODESET) {
    const int count = result->nodesetval ? result->nodesetval->nodeNr : 0;
    for (int i = 0; i < count; ++i) {
      std::unique_ptr<xmlChar, XmlCharDeleter> text(
          xmlXPathCastNodeToString(result->nodesetval->nodeTab[i]));
      named.push_back(normalized(text.get()));
    }
  } else {
    std::unique_ptr<xmlChar, XmlCharDeleter> text(xmlXPathCastToString(result.get()));
    named.push_back(normalized(text.get()));
  }
  if (named.empty() || (named.size() == 1 && named.front().empty())) {
    return forbidden("the request names no fiscal code");
  }
  for (const auto& code : named) {
    if (code != exchange.identity.citizen_fiscal_code) {
      return forbidden("a citizen may ask only for their own data");
    }
  }
  return {};
}

}  // namespace

Result<void> checkCitizenAccess(const Route& route, const Exchange& exchange) {
  if (!route.require) return {};
  const auto& require = *route.require;
  const auto& identity = exchange.identity;
  if (identity.citizen_fiscal_code.empty()) {
    return makeError(ErrorKind::unauthorized,
                     route.service + " needs a citizen authenticated with SPID (X-Spid-Session)");
  }
  if (identity.spid_level < require.spid_level) {
    return makeError(ErrorKind::forbidden,
                     route.service + " needs SPID level " + std::to_string(require.spid_level) +
                         "; this session has level " + std::to_string(identity.spid_level));
  }
  if (require.self_only_expr) return checkSelfOnly(require, exchange);
  return {};
}

}  // namespace egov::core
