#include "core/mapping/xml_diagnostics.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

#include <libxml/tree.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>

namespace egov::core {
namespace {

// A stylesheet in a loop can raise the same error thousands of times; the first few say it all.
constexpr std::size_t kMaxErrors = 20;
constexpr std::size_t kMaxTextBytes = 500;

thread_local XmlDiagnostics* t_sink = nullptr;

bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Error messages travel as one line: newlines become spaces, blanks are trimmed, length capped.
std::string oneLine(std::string_view text) {
  while (!text.empty() && isBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && isBlank(text.back())) text.remove_suffix(1);
  std::string out;
  out.reserve(std::min(text.size(), kMaxTextBytes));
  for (char c : text) {
    if (out.size() == kMaxTextBytes) {
      out += "...";
      break;
    }
    out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  }
  return out;
}

// Recognises the location line xsltPrintErrorContext prints before a message:
// "<type>[: file F [line N] [element E] | : element E]".
std::optional<XmlDiagnostic> parseLocation(std::string_view text) {
  if (text.empty() || text.back() != '\n') return std::nullopt;
  text.remove_suffix(1);
  if (text.find('\n') != std::string_view::npos) return std::nullopt;
  for (std::string_view type :
       {"runtime error", "compilation error", "compilation warning", "error"}) {
    if (text.substr(0, type.size()) != type) continue;
    std::string_view rest = text.substr(type.size());
    if (rest.empty()) return XmlDiagnostic{};
    if (rest.substr(0, 2) != ": ") return std::nullopt;
    rest.remove_prefix(2);
    XmlDiagnostic location;
    if (rest.substr(0, 8) == "element ") return location;
    if (rest.substr(0, 5) != "file ") return std::nullopt;
    rest.remove_prefix(5);
    if (auto at = rest.rfind(" element "); at != std::string_view::npos) rest = rest.substr(0, at);
    if (auto at = rest.rfind(" line "); at != std::string_view::npos) {
      std::string_view digits = rest.substr(at + 6);
      long line = 0;
      bool numeric = !digits.empty();
      for (char c : digits) {
        if (c < '0' || c > '9') numeric = false;
        line = line * 10 + (c - '0');
      }
      if (numeric) {
        location.line = line;
        rest = rest.substr(0, at);
      }
    }
    location.file = std::string(rest);
    return location;
  }
  return std::nullopt;
}

// Whether `inst` is an xsl:message with terminate="yes" (libxslt reads the attribute literally).
bool terminates(xmlNode* inst) {
  if (inst == nullptr) return false;
  xmlChar* value = xmlGetNsProp(inst, BAD_CAST "terminate", nullptr);
  const bool yes = value != nullptr && xmlStrEqual(value, BAD_CAST "yes");
  xmlFree(value);
  return yes;
}

std::string vformat(const char* format, va_list args) {
  va_list copy;
  va_copy(copy, args);
  char small[256];
  const int size = std::vsnprintf(small, sizeof small, format, copy);
  va_end(copy);
  if (size < 0) return {};
  if (static_cast<std::size_t>(size) < sizeof small) return std::string(small, size);
  std::string out(static_cast<std::size_t>(size) + 1, '\0');
  std::vsnprintf(out.data(), out.size(), format, args);
  out.resize(static_cast<std::size_t>(size));
  return out;
}

}  // namespace

void XmlDiagnostics::addError(XmlDiagnostic diagnostic) {
  if (diagnostic.text.empty()) return;
  if (!errors_.empty() && errors_.back().text == diagnostic.text &&
      errors_.back().line == diagnostic.line && errors_.back().file == diagnostic.file) {
    return;
  }
  if (errors_.size() < kMaxErrors) errors_.push_back(std::move(diagnostic));
}

void XmlDiagnostics::locateAtInstruction(XmlDiagnostic& diagnostic) const {
  if (transform == nullptr || transform->inst == nullptr) return;
  const xmlNode* inst = transform->inst;
  diagnostic.file =
      inst->doc && inst->doc->URL ? reinterpret_cast<const char*>(inst->doc->URL) : "";
  diagnostic.line = xmlGetLineNo(inst);
}

void XmlDiagnostics::addXmlError(const xmlError& error) {
  if (error.level == XML_ERR_WARNING || error.message == nullptr) return;
  XmlDiagnostic diagnostic;
  diagnostic.file = error.file ? error.file : "";
  diagnostic.line = error.line;
  diagnostic.text = oneLine(error.message);
  if (error.domain == XML_FROM_XPATH && error.str1 != nullptr) {
    diagnostic.text += " in '" + oneLine(error.str1) + "'";
  }
  if (diagnostic.line == 0) locateAtInstruction(diagnostic);
  addError(std::move(diagnostic));
}

void XmlDiagnostics::addText(std::string_view text) {
  std::string line = oneLine(text);
  if (line.empty()) return;  // the "\n" xsl:message adds after its text
  if (auto location = parseLocation(text)) {
    pending_location_ = std::move(location);
    return;
  }
  XmlDiagnostic diagnostic;
  diagnostic.text = std::move(line);
  if (pending_location_) {
    diagnostic.file = std::move(pending_location_->file);
    diagnostic.line = pending_location_->line;
    pending_location_.reset();
    if (diagnostic.file.empty()) locateAtInstruction(diagnostic);
    addError(std::move(diagnostic));
  } else if (transform != nullptr) {
    locateAtInstruction(diagnostic);
    last_message_ = std::move(diagnostic);
    last_message_terminates_ = terminates(transform->inst);
  } else {
    addError(std::move(diagnostic));
  }
}

std::string XmlDiagnostics::joined(std::string_view default_file) const {
  std::string out;
  for (const XmlDiagnostic& error : errors_) {
    if (!out.empty()) out += "; ";
    const std::string_view file = error.file.empty() ? default_file : error.file;
    if (!file.empty()) {
      out += file;
      if (error.line > 0) out += ":" + std::to_string(error.line);
      out += ": ";
    }
    out += error.text;
  }
  return out;
}

void collectXmlGenericError(void* ctx, const char* format, ...) {
  auto* sink = ctx != nullptr ? static_cast<XmlDiagnostics*>(ctx) : t_sink;
  if (sink == nullptr || format == nullptr) return;
  try {
    va_list args;
    va_start(args, format);
    std::string text = vformat(format, args);
    va_end(args);
    sink->addText(text);
  } catch (...) {
    // Out of memory while reporting: losing the message beats unwinding through C.
  }
}

void collectXmlStructuredError(void* ctx, xmlError* error) {
  auto* sink = ctx != nullptr ? static_cast<XmlDiagnostics*>(ctx) : t_sink;
  if (sink == nullptr || error == nullptr) return;
  try {
    sink->addXmlError(*error);
  } catch (...) {
    // As above.
  }
}

void reportXmlDiagnostic(XmlDiagnostic diagnostic) noexcept {
  if (t_sink == nullptr) return;
  try {
    t_sink->addError(std::move(diagnostic));
  } catch (...) {
    // As above.
  }
}

ScopedXmlErrorCapture::ScopedXmlErrorCapture(XmlDiagnostics& sink)
    : previous_sink_(t_sink),
      previous_generic_(xmlGenericError),
      previous_generic_context_(xmlGenericErrorContext),
      previous_structured_(xmlStructuredError),
      previous_structured_context_(xmlStructuredErrorContext) {
  t_sink = &sink;
  xmlSetGenericErrorFunc(&sink, collectXmlGenericError);
  xmlSetStructuredErrorFunc(&sink, collectXmlStructuredError);
}

ScopedXmlErrorCapture::~ScopedXmlErrorCapture() {
  xmlSetStructuredErrorFunc(previous_structured_context_, previous_structured_);
  xmlSetGenericErrorFunc(previous_generic_context_, previous_generic_);
  t_sink = previous_sink_;
}

void installXmlErrorRouting() {
  xsltSetGenericErrorFunc(nullptr, collectXmlGenericError);
}

}  // namespace egov::core
