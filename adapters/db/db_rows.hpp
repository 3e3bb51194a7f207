// The canonical document of a database answer:
//
//   <rows xmlns="urn:egovbus:db">
//     <row><field name="tributo">TARI</field><field name="note" null="true"/></row>
//   </rows>
//   <rows xmlns="urn:egovbus:db" affected="3"/>      <!-- INSERT, UPDATE, DELETE -->
//
// SQL NULL is `null="true"`, distinct from an empty string; numbers are their text; blobs
// are base64. Built on a worker thread and handed to the I/O thread that awaited it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/common/result.hpp"
#include "core/xml/xml.hpp"

namespace egov::adapters::db {

inline constexpr const char* kDbNs = "urn:egovbus:db";

class RowsBuilder {
 public:
  RowsBuilder();  // throws std::bad_alloc when libxml2 cannot allocate

  void beginRow();
  // A text value, or SQL NULL. Fails (backend_invalid) on text that is not UTF-8 or holds a
  // character XML cannot carry, rather than producing a document nobody can read back.
  core::Result<void> addField(std::string_view name, std::optional<std::string_view> text);
  core::Result<void> addBlob(std::string_view name, std::string_view bytes);

  core::XmlDocPtr finish() { return std::move(doc_); }

  // <rows affected="n"/>
  static core::XmlDocPtr affected(std::int64_t count);

 private:
  xmlNode* addFieldNode(std::string_view name);

  core::XmlDocPtr doc_;
  xmlNode* root_ = nullptr;
  xmlNs* ns_ = nullptr;
  xmlNode* row_ = nullptr;
};

std::string base64(std::string_view bytes);

}  // namespace egov::adapters::db
