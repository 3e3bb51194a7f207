#include "core/schema/xsd_schema.hpp"

#include <string>
#include <vector>

#include <libxml/xmlschemas.h>

#include "core/mapping/extension_functions.hpp"
#include "core/mapping/xml_diagnostics.hpp"
#include "core/mapping/xml_load_policy.hpp"

namespace egov::core {
namespace {

struct SchemaParserCtxtDeleter {
  void operator()(xmlSchemaParserCtxt* ctxt) const { xmlSchemaFreeParserCtxt(ctxt); }
};
struct SchemaValidCtxtDeleter {
  void operator()(xmlSchemaValidCtxt* ctxt) const { xmlSchemaFreeValidCtxt(ctxt); }
};

// What one validate() call collects; filled by a C callback, so it never throws.
struct ValidationErrors {
  std::vector<std::string> reported;
  std::size_t total = 0;
};

std::string trimmed(const char* text) {
  std::string out = text != nullptr ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  for (char& c : out) {
    if (c == '\n') c = ' ';
  }
  return out;
}

void collectValidationError(void* ctx, xmlError* error) {
  auto* errors = static_cast<ValidationErrors*>(ctx);
  if (errors == nullptr || error == nullptr || error->level == XML_ERR_WARNING) return;
  ++errors->total;
  if (errors->reported.size() == XsdSchema::kMaxReportedErrors) return;
  try {
    std::string where;
    if (error->line > 0) {
      where = "line " + std::to_string(error->line);
    } else if (auto* node = static_cast<xmlNode*>(error->node)) {
      xmlChar* path = xmlGetNodePath(node);
      where = path != nullptr ? reinterpret_cast<const char*>(path) : "document";
      xmlFree(path);
    } else {
      where = "document";
    }
    errors->reported.push_back(where + ": " + trimmed(error->message));
  } catch (...) {
    // Out of memory: the count still says validation failed.
  }
}

}  // namespace

void XsdSchema::SchemaDeleter::operator()(_xmlSchema* schema) const {
  xmlSchemaFree(schema);
}

Result<std::shared_ptr<const XsdSchema>> XsdSchema::load(const std::filesystem::path& file) {
  // The no-network entity loader must be in force before libxml2 follows xs:import.
  registerMappingExtensions();
  const std::string name = file.string();
  XmlDiagnostics diagnostics;
  ScopedXmlErrorCapture capture(diagnostics);
  auto failure = [&](const std::string& fallback) {
    std::string message = diagnostics.joined(name);
    if (message.empty()) message = name + ": " + fallback;
    return makeError(ErrorKind::bad_request, std::move(message));
  };

  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return makeError(ErrorKind::bad_request, name + ": no such file");
  }
  XmlDocPtr doc = readConfigXml(name);
  if (!doc) return failure("cannot read the schema");
  std::unique_ptr<xmlSchemaParserCtxt, SchemaParserCtxtDeleter> parser(
      xmlSchemaNewDocParserCtxt(doc.get()));
  if (!parser) return failure("out of memory");
  xmlSchemaSetParserStructuredErrors(parser.get(), collectXmlStructuredError, &diagnostics);
  std::unique_ptr<xmlSchema, SchemaDeleter> schema(xmlSchemaParse(parser.get()));
  if (!schema) return failure("not a valid XML Schema");
  return std::shared_ptr<const XsdSchema>(new XsdSchema(file, std::move(doc), std::move(schema)));
}

Result<void> XsdSchema::validate(const xmlDoc& doc) const {
  std::unique_ptr<xmlSchemaValidCtxt, SchemaValidCtxtDeleter> ctxt(
      xmlSchemaNewValidCtxt(schema_.get()));
  if (!ctxt) return makeError(ErrorKind::internal, "out of memory creating a validation context");
  ValidationErrors errors;
  xmlSchemaSetValidStructuredErrors(ctxt.get(), collectValidationError, &errors);
  // Anything libxml2 reports outside the context's handler is dropped, not printed.
  XmlDiagnostics elsewhere;
  ScopedXmlErrorCapture capture(elsewhere);
  // libxml2 takes a non-const document; without options validation only reads it.
  const int rc = xmlSchemaValidateDoc(ctxt.get(), const_cast<xmlDoc*>(&doc));
  if (rc == 0) return {};

  std::string message;
  for (const std::string& error : errors.reported) {
    if (!message.empty()) message += "; ";
    message += error;
  }
  if (errors.total > errors.reported.size()) {
    message += " (" + std::to_string(errors.total - errors.reported.size()) + " more)";
  }
  if (message.empty()) {
    message = rc < 0 ? "internal error of the validator" : "document is not valid";
    if (rc < 0) return makeError(ErrorKind::internal, file_.filename().string() + ": " + message);
  }
  return makeError(ErrorKind::validation_failed, std::move(message));
}

}  // namespace egov::core
