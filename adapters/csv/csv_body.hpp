// The canonical bodies of the csv adapter, in namespace urn:egovbus:csv:
//
//   lookup request   <lookup><key name="codice_fiscale">RSSMRA80A01A662A</key>...</lookup>
//                    or a JSON-representation map with string members named like the key
//                    columns: {"codice_fiscale":"RSSMRA80A01A662A","anno":"2024"}
//   lookup reply     <rows><row><field name="col">value</field>...</row>...</rows>
//   output request   <rows><row><field name="col">value</field>...</row>...</rows>
//                    or a JSON-representation array of flat maps: [{"col":"value",...},...]
//   output reply     <written file="esiti-<exchange id>.csv" rows="N"/>
//
// The request bodies are what a route's mappings built, so a body of the wrong shape is a
// mapping bug: ErrorKind::mapping_failed, with a message naming what is wrong.
// Pure functions, safe on any thread.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/csv/csv_index.hpp"
#include "core/common/result.hpp"
#include "core/xml/xml.hpp"

namespace egov::adapters::csv {

inline constexpr const char* kCsvNamespace = "urn:egovbus:csv";

// The key values, in the order of `key_columns`. In a JSON map, members that are not key
// columns are ignored (a request may carry more than the key); in a <lookup> envelope every
// <key> must name a key column, once.
core::Result<std::vector<std::string>> readLookupKey(const xmlDoc& body,
                                                     std::span<const std::string> key_columns);

// The reply of a lookup: `rows` of `index`, in that order; empty <rows/> when there are none.
core::Result<core::XmlDocPtr> rowsDocument(const CsvIndex& index,
                                           std::span<const std::size_t> rows);

// The records to write, each with one value per column (a missing field is empty). A field
// not among `columns`, a repeated field, or a nested value is an error naming the row.
core::Result<std::vector<std::vector<std::string>>> readOutputRows(
    const xmlDoc& body, std::span<const std::string> columns);

core::Result<core::XmlDocPtr> writtenDocument(std::string_view file, std::size_t rows);

}  // namespace egov::adapters::csv
