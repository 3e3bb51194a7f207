#include "core/xml/xml.hpp"

#include <libexslt/exslt.h>
#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlsave.h>
#include <libxslt/xslt.h>

#include <cstring>

namespace egov::core {
namespace {

struct ParserCtxtDeleter {
  void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};

// Per-parse state reached through ctxt->_private from the SAX hooks below.
struct ParseGuard {
  const XmlLimits* limits = nullptr;
  unsigned depth = 0;
  std::size_t nodes = 0;
  std::string violation;  // set when a hook stopped the parser
};

void stopWith(xmlParserCtxt* ctxt, const char* why) {
  auto* guard = static_cast<ParseGuard*>(ctxt->_private);
  if (guard->violation.empty()) guard->violation = why;
  xmlStopParser(ctxt);
}

void onInternalSubset(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  stopWith(static_cast<xmlParserCtxt*>(ctx), "DOCTYPE is not allowed");
}

void onEntityDecl(void* ctx, const xmlChar*, int, const xmlChar*, const xmlChar*, xmlChar*) {
  stopWith(static_cast<xmlParserCtxt*>(ctx), "entity declarations are not allowed");
}

void onStartElementNs(void* ctx, const xmlChar* localname, const xmlChar* prefix,
                      const xmlChar* uri, int nb_namespaces, const xmlChar** namespaces,
                      int nb_attributes, int nb_defaulted, const xmlChar** attributes) {
  auto* ctxt = static_cast<xmlParserCtxt*>(ctx);
  auto* guard = static_cast<ParseGuard*>(ctxt->_private);
  if (++guard->depth > guard->limits->max_depth) return stopWith(ctxt, "nesting too deep");
  if (++guard->nodes > guard->limits->max_nodes) return stopWith(ctxt, "too many nodes");
  xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
                        nb_defaulted, attributes);
}

void onEndElementNs(void* ctx, const xmlChar* localname, const xmlChar* prefix,
                    const xmlChar* uri) {
  auto* ctxt = static_cast<xmlParserCtxt*>(ctx);
  --static_cast<ParseGuard*>(ctxt->_private)->depth;
  xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

void ignoreStructuredError(void*, xmlError*) {}

}  // namespace

Result<XmlDocPtr> parseXml(std::string_view text, const XmlLimits& limits, const char* name) {
  if (text.size() > limits.max_bytes) {
    return makeError(ErrorKind::payload_too_large, std::string(name) + ": XML larger than " +
                                                       std::to_string(limits.max_bytes) + " bytes");
  }
  std::unique_ptr<xmlParserCtxt, ParserCtxtDeleter> ctxt(xmlNewParserCtxt());
  if (!ctxt) return makeError(ErrorKind::internal, "out of memory creating XML parser");
  ParseGuard guard{&limits, 0, 0, {}};
  ctxt->_private = &guard;
  ctxt->sax->internalSubset = onInternalSubset;
  ctxt->sax->externalSubset = onInternalSubset;
  ctxt->sax->entityDecl = onEntityDecl;
  ctxt->sax->startElementNs = onStartElementNs;
  ctxt->sax->endElementNs = onEndElementNs;
  ctxt->sax->serror = ignoreStructuredError;
  ctxt->sax->warning = nullptr;
  ctxt->sax->error = nullptr;
  ctxt->vctxt.error = nullptr;
  ctxt->vctxt.warning = nullptr;

  const int options = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOWARNING |
                      XML_PARSE_NOERROR | XML_PARSE_BIG_LINES;
  XmlDocPtr doc(xmlCtxtReadMemory(ctxt.get(), text.data(), static_cast<int>(text.size()), name,
                                  nullptr, options));
  if (doc && ctxt->wellFormed && guard.violation.empty()) return doc;

  std::string where = name;
  std::string message = "not well-formed XML";
  if (const xmlError* err = xmlCtxtGetLastError(ctxt.get()); err && err->message) {
    where += ":" + std::to_string(err->line) + ":" + std::to_string(err->int2);
    message = err->message;
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
  }
  if (!guard.violation.empty()) message = guard.violation;
  return makeError(ErrorKind::bad_request, where + ": " + message);
}

std::string serializeXml(const xmlDoc& doc, bool with_declaration) {
  xmlBuffer* buffer = xmlBufferCreate();
  int options = XML_SAVE_AS_XML;
  if (!with_declaration) options |= XML_SAVE_NO_DECL;
  xmlSaveCtxt* save = xmlSaveToBuffer(buffer, "UTF-8", options);
  xmlSaveDoc(save, const_cast<xmlDoc*>(&doc));
  xmlSaveClose(save);
  std::string out(reinterpret_cast<const char*>(xmlBufferContent(buffer)),
                  static_cast<std::size_t>(xmlBufferLength(buffer)));
  xmlBufferFree(buffer);
  if (!with_declaration && !out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string serializeXmlNode(const xmlNode& node) {
  xmlBuffer* buffer = xmlBufferCreate();
  xmlNodeDump(buffer, node.doc, const_cast<xmlNode*>(&node), 0, 0);
  std::string out(reinterpret_cast<const char*>(xmlBufferContent(buffer)),
                  static_cast<std::size_t>(xmlBufferLength(buffer)));
  xmlBufferFree(buffer);
  return out;
}

XmlDocPtr copyXml(const xmlDoc& doc) {
  return XmlDocPtr(xmlCopyDoc(const_cast<xmlDoc*>(&doc), 1));
}

void initXmlLibraries() {
  xmlInitParser();
  xmlSubstituteEntitiesDefault(0);
  xmlLoadExtDtdDefaultValue = 0;
  exsltRegisterAll();
}

std::string xmlText(const xmlNode* node) {
  if (!node) return {};
  xmlChar* content = xmlNodeGetContent(node);
  if (!content) return {};
  std::string out(reinterpret_cast<const char*>(content));
  xmlFree(content);
  return out;
}

std::string xmlAttr(const xmlNode* node, const char* name) {
  if (!node) return {};
  xmlChar* value = xmlGetProp(node, reinterpret_cast<const xmlChar*>(name));
  if (!value) return {};
  std::string out(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return out;
}

}  // namespace egov::core
