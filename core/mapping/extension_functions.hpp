// The egovbus XPath extension functions available to every mapping, namespace urn:egovbus:
//
//   uuid()                          random UUID v4, lower case
//   ("0f8fad5b-d9cb-469f-a165-70867728950e") now()                           current UTC time,
//   "2024-03-05T14:07:09Z" format-date(value, to [, from]) re-formats a date or dateTime. Pattern
//   tokens yyyy MM dd HH
//                                   mm ss, every other character literal; each token reads
//                                   exactly its width in digits. Without `from`, reads ISO
//                                   yyyy-MM-dd or yyyy-MM-ddTHH:mm:ss[.fff] with an optional Z or
//                                   offset (ignored: the wall-clock values are kept). An empty
//                                   value gives ''. A value that does not match, or is not a real
//                                   date (31/02/2024), stops the mapping (mapping_failed): a
//                                   silently dropped date in a payment or a registry record is
//                                   worse than a failed exchange that names the line.
//   lookup(table, key [, column])   the `value` column (or `column`) of `key` in a lookup table
//                                   of the call's MappingContext; '' when the key is absent;
//                                   an unknown table or column stops the mapping.
//   valid-fiscal-code(string)       boolean, see isValidFiscalCode (upper case, no blanks).
//
// Declare the namespace in the stylesheet: xmlns:eg="urn:egovbus", then eg:lookup('x', .).
#pragma once

namespace egov::core {

inline constexpr const char* kEgovbusNamespace = "urn:egovbus";

// Process-wide, once, from main before any thread compiles or applies a mapping (idempotent
// and thread-safe all the same). Registers the functions above with libxslt and installs the
// XML loading policy of xml_load_policy.hpp: stylesheet imports parsed without DTD, entities
// or network; no document loads at transform time; network URLs refused for every libxml2 load;
// libxslt messages routed to the operation that raised them instead of stderr.
void registerMappingExtensions();

}  // namespace egov::core
