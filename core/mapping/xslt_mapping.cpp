#include "core/mapping/xslt_mapping.hpp"

#include <algorithm>
#include <string_view>

#include <libxslt/imports.h>
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/variables.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>

#include "core/mapping/extension_functions.hpp"
#include "core/mapping/xml_diagnostics.hpp"
#include "core/mapping/xml_load_policy.hpp"

namespace egov::core {
namespace {

struct TransformContextDeleter {
  void operator()(xsltTransformContext* ctxt) const { xsltFreeTransformContext(ctxt); }
};

// xsl:output of the stylesheet or, failing that, of the first import that has one (the
// import precedence libxslt applies at run time).
bool producesXml(xsltStylesheet* style) {
  for (xsltStylesheet* s = style; s != nullptr; s = xsltNextImport(s)) {
    if (s->methodURI != nullptr) return false;
    if (s->method != nullptr) return xmlStrEqual(s->method, BAD_CAST "xml") != 0;
  }
  return true;
}

// One root element and nothing but blanks, comments and processing instructions beside it.
bool isSingleRooted(const xmlDoc& doc) {
  int elements = 0;
  for (const xmlNode* node = doc.children; node != nullptr; node = node->next) {
    if (node->type == XML_ELEMENT_NODE) {
      ++elements;
    } else if (node->type == XML_TEXT_NODE && !xmlIsBlankNode(node)) {
      return false;
    }
  }
  return elements == 1;
}

// The expanded names of the global variables and parameters of `style` and its imports (those
// of included modules are in their includer's list), in the form xsltQuoteUserParams reads.
std::vector<std::string> globalNames(xsltStylesheet* style) {
  std::vector<std::string> names;
  for (xsltStylesheet* s = style; s != nullptr; s = xsltNextImport(s)) {
    for (xsltStackElem* elem = s->variables; elem != nullptr; elem = elem->next) {
      if (elem->name == nullptr) continue;
      std::string name;
      if (elem->nameURI != nullptr) {
        name = "{" + std::string(reinterpret_cast<const char*>(elem->nameURI)) + "}";
      }
      name += reinterpret_cast<const char*>(elem->name);
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        names.push_back(std::move(name));
      }
    }
  }
  return names;
}

}  // namespace

XsltMapping::XsltMapping(std::filesystem::path file, StylesheetPtr style)
    : file_(std::move(file)), style_(std::move(style)), declared_(globalNames(style_.get())) {}

bool XsltMapping::declares(const std::string& param) const {
  return std::find(declared_.begin(), declared_.end(), param) != declared_.end();
}

void XsltMapping::StylesheetDeleter::operator()(_xsltStylesheet* style) const {
  xsltFreeStylesheet(style);
}

Result<std::shared_ptr<const XsltMapping>> XsltMapping::compile(const std::filesystem::path& file) {
  registerMappingExtensions();
  const std::string name = file.string();
  XmlDiagnostics diagnostics;
  ScopedXmlErrorCapture capture(diagnostics);
  auto failure = [&](std::string_view fallback) {
    std::string message = diagnostics.joined(name);
    if (message.empty()) message = name + ": " + std::string(fallback);
    return makeError(ErrorKind::bad_request, std::move(message));
  };

  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return makeError(ErrorKind::bad_request, name + ": no such file");
  }
  XmlDocPtr doc = readConfigXml(name);
  if (!doc) return failure("cannot read the stylesheet");
  StylesheetPtr style(xsltParseStylesheetDoc(doc.get()));
  if (!style) return failure("not an XSLT stylesheet");  // the document is still ours
  doc.release();                                         // now the stylesheet's
  if (style->errors > 0) return failure("not an XSLT stylesheet");
  if (!producesXml(style.get())) {
    return makeError(ErrorKind::bad_request,
                     name + ": xsl:output method must be xml: a mapping produces an XML body");
  }
  return std::shared_ptr<const XsltMapping>(new XsltMapping(file, std::move(style)));
}

Result<XmlDocPtr> XsltMapping::apply(const xmlDoc& input, const MappingParams& params,
                                     const MappingContext& context) const {
  XmlDocPtr source = copyXml(input);
  if (!source) {
    return makeError(ErrorKind::internal,
                     file_.filename().string() + ": out of memory preparing the transform");
  }
  return applyInPlace(*source, params, context);
}

Result<XmlDocPtr> XsltMapping::applyInPlace(xmlDoc& source, const MappingParams& params,
                                            const MappingContext& context) const {
  const std::string name = file_.filename().string();
  auto failure = [&](const XmlDiagnostic* where, std::string_view fallback) {
    std::string message = where != nullptr && !where->file.empty()
                              ? std::filesystem::path(where->file).filename().string()
                              : name;
    if (where != nullptr && where->line > 0) message += ":" + std::to_string(where->line);
    message += ": ";
    message += where != nullptr ? std::string_view(where->text) : fallback;
    return makeError(ErrorKind::mapping_failed, std::move(message));
  };

  xsltSecurityPrefs* prefs = transformSecurityPrefs();
  if (prefs == nullptr) {
    return makeError(ErrorKind::internal, name + ": out of memory preparing the transform");
  }

  XmlDiagnostics diagnostics;
  ScopedXmlErrorCapture capture(diagnostics);
  std::unique_ptr<xsltTransformContext, TransformContextDeleter> ctxt(
      xsltNewTransformContext(style_.get(), &source));
  if (!ctxt) return makeError(ErrorKind::internal, name + ": cannot create a transform context");
  xsltSetCtxtSecurityPrefs(prefs, ctxt.get());
  xsltSetTransformErrorFunc(ctxt.get(), &diagnostics, collectXmlGenericError);
  diagnostics.transform = ctxt.get();
  // libxslt's field is not const; the extension functions only read through it.
  ctxt->_private = const_cast<MappingContext*>(&context);

  std::vector<const char*> pairs;
  pairs.reserve(params.size() * 2 + 1);
  for (const auto& [param, value] : params) {
    if (!declares(param)) continue;
    pairs.push_back(param.c_str());
    pairs.push_back(value.c_str());
  }
  pairs.push_back(nullptr);
  if (xsltQuoteUserParams(ctxt.get(), pairs.data()) != 0) {
    const auto& errors = diagnostics.errors();
    return failure(errors.empty() ? nullptr : &errors.front(), "invalid parameters");
  }

  XmlDocPtr result(
      xsltApplyStylesheetUser(style_.get(), &source, nullptr, nullptr, nullptr, ctxt.get()));
  if (!result || ctxt->state != XSLT_STATE_OK) {
    // libxslt also stops on some errors, after any number of ordinary xsl:message outputs:
    // only a message from a terminate="yes" element is the reason.
    const auto& errors = diagnostics.errors();
    const auto& message = diagnostics.lastMessage();
    const bool stopped = ctxt->state == XSLT_STATE_STOPPED;
    if (stopped && message && diagnostics.lastMessageTerminates()) return failure(&*message, {});
    if (!errors.empty()) return failure(&errors.front(), {});
    return failure(nullptr, stopped ? "stopped by an empty xsl:message terminate=\"yes\""
                                    : "transformation failed");
  }
  if (!isSingleRooted(*result)) {
    return failure(nullptr, "the result is not an XML document with one root element");
  }
  return result;
}

}  // namespace egov::core
