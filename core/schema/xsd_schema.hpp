// A compiled XML Schema: loaded once per config generation, then used by any number of threads
// to validate messages (the route's `validate` step).
#pragma once

#include <filesystem>
#include <memory>

#include "core/common/result.hpp"
#include "core/xml/xml.hpp"

struct _xmlSchema;

namespace egov::core {

class XsdSchema {
 public:
  // Control plane. Reads `file` as config (no DTD loading, no entity substitution, no network;
  // xs:include/xs:import/xs:redefine resolve relative to it and may not reach the network).
  // Errors: ErrorKind::bad_request, the compile messages as "<file>:<line>: <message>"
  // joined with "; ".
  static Result<std::shared_ptr<const XsdSchema>> load(const std::filesystem::path& file);

  // Data plane; thread-safe (a validation context per call); does not modify `doc`.
  // ErrorKind::validation_failed, the first kMaxReportedErrors errors as "line N: message"
  // (or "/xpath/of/node: message" for a document without line numbers, e.g. a mapping's
  // result) joined with "; ", and "(N more)" when there were more.
  Result<void> validate(const xmlDoc& doc) const;

  const std::filesystem::path& file() const { return file_; }

  static constexpr std::size_t kMaxReportedErrors = 5;

  struct SchemaDeleter {
    void operator()(_xmlSchema* schema) const;
  };

 private:
  XsdSchema(std::filesystem::path file, XmlDocPtr doc,
            std::unique_ptr<_xmlSchema, SchemaDeleter> schema)
      : file_(std::move(file)), doc_(std::move(doc)), schema_(std::move(schema)) {}

  std::filesystem::path file_;
  XmlDocPtr doc_;  // the schema may point into it (annotations); destroyed after schema_
  std::unique_ptr<_xmlSchema, SchemaDeleter> schema_;
};

}  // namespace egov::core
