// A compiled XSLT 1.0 (+ EXSLT + egovbus functions) mapping: compiled once per config
// generation on the control plane, then applied concurrently by any number of worker threads.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/common/result.hpp"
#include "core/mapping/extension_functions.hpp"  // registerMappingExtensions(), for main
#include "core/xml/xml.hpp"

struct _xsltStylesheet;

namespace egov::core {

class LookupTables;

// What one apply() call lends to the extension functions. Read-only; must outlive the call.
struct MappingContext {
  const LookupTables* tables = nullptr;
};

// Stylesheet parameters, name -> value. Values are passed as strings, never evaluated as
// XPath, so they may hold any characters (quotes included). A name may be "{uri}local".
// Parameters the stylesheet does not declare (as a top-level xsl:param or xsl:variable of it,
// of a module it includes or of one it imports) are not passed to libxslt at all: a tenant's
// params and the bus's dozen (exchange-id, tenant, ...) reach every mapping of its routes, and
// quoting them all cost about 3% of a mapped call. libxslt itself would let a stylesheet read
// an undeclared $name when a parameter of that name is passed; egovbus does not (a reference
// to an undeclared name is a run-time error, whatever the caller passes). The same declared
// name twice is an error.
using MappingParams = std::vector<std::pair<std::string, std::string>>;

class XsltMapping {
 public:
  // Control plane. Reads `file` as config (no DTD loading, no entity substitution, no network,
  // and general entity declarations refused: unsubstituted, their text would silently vanish);
  // xsl:import and xsl:include resolve relative to it, local files only. Refuses output methods
  // other than xml: a mapping produces the canonical XML body. Errors: ErrorKind::bad_request,
  // every message of the compile as "<file>:<line>: <message>" joined with "; ".
  // Calls registerMappingExtensions() (idempotent) so that the loading policy is in force.
  static Result<std::shared_ptr<const XsltMapping>> compile(const std::filesystem::path& file);

  // Data plane; thread-safe, each call has its own transform context. `input` is not touched
  // (libxslt marks and may strip nodes of its source, so it transforms a private copy).
  // Errors, ErrorKind::mapping_failed, "<stylesheet file name>:<line>: <message>" (the file
  // holding the instruction, which may be an imported one; no directories, they are not the
  // caller's business):
  //   xsl:message terminate="yes"  -> its text, at the line of the xsl:message element;
  //   run-time errors (XPath, extension functions, document() refused, ...) -> the first one;
  //   a result that is not one root element (text at top level, no element).
  // Other xsl:message output is dropped. Nothing is printed.
  Result<XmlDocPtr> apply(const xmlDoc& input, const MappingParams& params,
                          const MappingContext& context) const;

  // The same, transforming `input` itself instead of a copy (copying was about 4% of the
  // instructions of a mapped SOAP round trip, see BENCHMARKS.md): libxslt may mark its nodes and
  // strip whitespace text from it, so only a caller that replaces `input` with the result uses it
  // (the route runner's map step). `input` stays a valid document, also after an error.
  Result<XmlDocPtr> applyInPlace(xmlDoc& input, const MappingParams& params,
                                 const MappingContext& context) const;

  const std::filesystem::path& file() const { return file_; }

  struct StylesheetDeleter {
    void operator()(_xsltStylesheet* style) const;
  };
  using StylesheetPtr = std::unique_ptr<_xsltStylesheet, StylesheetDeleter>;

 private:
  XsltMapping(std::filesystem::path file, StylesheetPtr style);

  bool declares(const std::string& param) const;

  std::filesystem::path file_;
  StylesheetPtr style_;  // read-only after compile: libxslt allows concurrent transforms
  // The expanded names ("local" or "{uri}local") of every global xsl:param and xsl:variable,
  // imports and includes included: the only parameters apply() passes on.
  std::vector<std::string> declared_;
};

}  // namespace egov::core
