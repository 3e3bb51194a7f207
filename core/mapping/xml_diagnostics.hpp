// Routes libxml2 and libxslt diagnostics to the operation that caused them, instead of stderr.
//
// libxml2 keeps its error handlers per thread; libxslt has one process-wide generic handler
// (xsltGenericError) that a transform context can override only for some of its messages.
// registerMappingExtensions() installs a process-wide libxslt handler once that forwards to
// the XmlDiagnostics captured on the calling thread and drops everything else, so a compile on
// the control plane and transforms on worker threads never see each other's messages.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <libxml/xmlerror.h>

struct _xsltTransformContext;

namespace egov::core {

struct XmlDiagnostic {
  std::string file;  // URL of the stylesheet or schema it is about; may be empty
  long line = 0;     // 0 when unknown
  std::string text;  // one line, no trailing newline
};

// The diagnostics of one stylesheet compile, schema load or transform. Lives on the stack of
// the thread doing the work; the C callbacks below write into it and never throw.
class XmlDiagnostics {
 public:
  // While a transform runs: its current instruction locates xsl:message output and errors
  // that carry no location, and bare text is xsl:message output rather than an error.
  _xsltTransformContext* transform = nullptr;

  void addXmlError(const xmlError& error);
  // One call's worth of printf-style output from libxslt or libxml2.
  void addText(std::string_view text);

  const std::vector<XmlDiagnostic>& errors() const { return errors_; }
  // The last xsl:message output, and whether its element says terminate="yes" (then it is the
  // one that stopped the transform).
  const std::optional<XmlDiagnostic>& lastMessage() const { return last_message_; }
  bool lastMessageTerminates() const { return last_message_terminates_; }
  // All errors as "file:line: text", joined with "; " (for control-plane reports); errors that
  // name no file are attributed to `default_file`.
  std::string joined(std::string_view default_file = {}) const;

  void addError(XmlDiagnostic diagnostic);

 private:
  void locateAtInstruction(XmlDiagnostic& diagnostic) const;

  std::vector<XmlDiagnostic> errors_;  // the first kMaxErrors only
  std::optional<XmlDiagnostic> last_message_;
  bool last_message_terminates_ = false;
  // libxslt prints "runtime error: file F line N element E" and then, in a second call, the
  // message itself; this holds the location in between.
  std::optional<XmlDiagnostic> pending_location_;
};

// xmlGenericErrorFunc: `ctx` is an XmlDiagnostics*, or null for the one captured on this thread.
void collectXmlGenericError(void* ctx, const char* format, ...);
// xmlStructuredErrorFunc, same convention.
void collectXmlStructuredError(void* ctx, xmlError* error);

// Adds a diagnostic of our own to the XmlDiagnostics captured on this thread, if any.
void reportXmlDiagnostic(XmlDiagnostic diagnostic) noexcept;

// For its lifetime, sends this thread's libxml2 errors and libxslt's process-wide generic
// errors raised on this thread to `sink`. Restores the previous handlers when destroyed.
class ScopedXmlErrorCapture {
 public:
  explicit ScopedXmlErrorCapture(XmlDiagnostics& sink);
  ~ScopedXmlErrorCapture();
  ScopedXmlErrorCapture(const ScopedXmlErrorCapture&) = delete;
  ScopedXmlErrorCapture& operator=(const ScopedXmlErrorCapture&) = delete;

 private:
  XmlDiagnostics* previous_sink_;
  xmlGenericErrorFunc previous_generic_;
  void* previous_generic_context_;
  xmlStructuredErrorFunc previous_structured_;
  void* previous_structured_context_;
};

// Process-wide, once, before worker threads start (registerMappingExtensions calls it).
void installXmlErrorRouting();

}  // namespace egov::core
