#include "core/mapping/xml_load_policy.hpp"

#include <memory>
#include <string_view>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxslt/documents.h>
#include <libxslt/security.h>

#include "core/mapping/xml_diagnostics.hpp"

namespace egov::core {
namespace {

// No XML_PARSE_NOENT, XML_PARSE_DTDLOAD or XML_PARSE_DTDATTR, unlike libxslt's own
// XSLT_PARSE_OPTIONS: stylesheets come from integrators, not from us, and need none of them.
constexpr int kConfigParseOptions =
    XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES;

struct ParserCtxtDeleter {
  void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};
using ParserCtxtPtr = std::unique_ptr<xmlParserCtxt, ParserCtxtDeleter>;

struct SecurityPrefsDeleter {
  void operator()(xsltSecurityPrefs* prefs) const { xsltFreeSecurityPrefs(prefs); }
};

bool isLocal(std::string_view file) {
  const auto scheme_end = file.find("://");
  return scheme_end == std::string_view::npos || file.substr(0, scheme_end) == "file";
}

// Per-parse state reached through ctxt->_private from the SAX hook below.
struct ConfigParse {
  const std::string* file = nullptr;
  bool refused = false;
};

// Unsubstituted, an entity reference would silently vanish from the stylesheet (libxslt skips
// entity reference nodes); substituted, an external entity could read any local file. So
// general entities are refused outright. Parameter entities stay as libxml2 handles them:
// they never reach the tree, and without DTD loading external ones are not read.
void onEntityDecl(void* ctx, const xmlChar* name, int type, const xmlChar* public_id,
                  const xmlChar* system_id, xmlChar* content) {
  if (type == XML_INTERNAL_PARAMETER_ENTITY || type == XML_EXTERNAL_PARAMETER_ENTITY) {
    xmlSAX2EntityDecl(ctx, name, type, public_id, system_id, content);
    return;
  }
  auto* ctxt = static_cast<xmlParserCtxt*>(ctx);
  auto* parse = static_cast<ConfigParse*>(ctxt->_private);
  parse->refused = true;
  try {
    reportXmlDiagnostic({*parse->file, ctxt->input != nullptr ? ctxt->input->line : 0,
                         "entity '" + std::string(reinterpret_cast<const char*>(name)) +
                             "': entity declarations are not allowed, use a character "
                             "reference such as &#8364;"});
  } catch (...) {
    // The refusal stands without its message.
  }
  xmlStopParser(ctxt);
}

XmlDocPtr parseConfigXml(const std::string& file, xmlDict* dict) {
  if (!isLocal(file)) {
    reportXmlDiagnostic({file, 0, "only local files may be loaded"});
    return nullptr;
  }
  ParserCtxtPtr ctxt(xmlNewParserCtxt());
  if (!ctxt) return nullptr;
  if (dict != nullptr) {
    // libxslt compares names by dictionary pointer: an imported document must share the
    // importing stylesheet's dictionary, as libxslt's default loader arranges.
    xmlDictFree(ctxt->dict);
    ctxt->dict = dict;
    xmlDictReference(dict);
  }
  ConfigParse parse{&file, false};
  ctxt->_private = &parse;
  ctxt->sax->entityDecl = onEntityDecl;
  XmlDocPtr doc(xmlCtxtReadFile(ctxt.get(), file.c_str(), nullptr, kConfigParseOptions));
  if (!doc || !ctxt->wellFormed || parse.refused) return nullptr;
  return doc;
}

xmlDoc* loadForXslt(const xmlChar* uri, xmlDict* dict, int /*options*/, void* /*ctxt*/,
                    xsltLoadType type) {
  // Run-time loads (document()) are refused by transformSecurityPrefs already; this is the
  // second lock, for a transform that somebody runs without those preferences.
  if (uri == nullptr || type == XSLT_LOAD_DOCUMENT) return nullptr;
  try {
    return parseConfigXml(reinterpret_cast<const char*>(uri), dict).release();
  } catch (...) {
    return nullptr;  // never unwind into libxslt
  }
}

}  // namespace

XmlDocPtr readConfigXml(const std::string& file) {
  return parseConfigXml(file, nullptr);
}

xsltSecurityPrefs* transformSecurityPrefs() {
  static const std::unique_ptr<xsltSecurityPrefs, SecurityPrefsDeleter> prefs = [] {
    std::unique_ptr<xsltSecurityPrefs, SecurityPrefsDeleter> p(xsltNewSecurityPrefs());
    for (xsltSecurityOption option :
         {XSLT_SECPREF_READ_FILE, XSLT_SECPREF_WRITE_FILE, XSLT_SECPREF_CREATE_DIRECTORY,
          XSLT_SECPREF_READ_NETWORK, XSLT_SECPREF_WRITE_NETWORK}) {
      xsltSetSecurityPrefs(p.get(), option, xsltSecurityForbid);
    }
    return p;
  }();
  return prefs.get();
}

void installXmlLoadPolicy() {
  installXmlErrorRouting();
  xsltSetLoaderFunc(loadForXslt);
  xmlSetExternalEntityLoader(xmlNoNetExternalEntityLoader);
  transformSecurityPrefs();
}

}  // namespace egov::core
