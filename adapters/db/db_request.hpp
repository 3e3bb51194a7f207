// From the canonical body to the statement to run and its values. Pure: no I/O, runs on the
// I/O thread that awaits the call.
#pragma once

#include "adapters/db/db_config.hpp"
#include "adapters/db/db_connection.hpp"
#include "core/common/result.hpp"
#include "core/xml/xml.hpp"

namespace egov::adapters::db {

struct DbCall {
  const DbStatement* statement = nullptr;  // points into the endpoint's DbConfig
  ParamRuns runs;                          // each one value per statement->params, in order
};

// A body whose root is {urn:egovbus:db}query names the statement and gives every value:
//
//   <query xmlns="urn:egovbus:db" statement="posizioni">
//     <param name="cf">RSSMRA80A01A662A</param>
//     <param name="anno" null="true"/>              <!-- SQL NULL -->
//   </query>
//
// `statement` may be left out when the endpoint has one; every param of the statement must
// be given, and no other. A `for_each` statement takes one <row> per run instead, each
// holding every param:
//
//   <query xmlns="urn:egovbus:db" statement="carica">
//     <row><param name="cf">RSSMRA80A01A662A</param>...</row>
//     <row>...</row>
//   </query>
//
// Any other body goes to the endpoint's only statement, its values being the params' XPaths
// evaluated on the body (string value; an empty node-set is NULL); for a `for_each`
// statement, on each node its XPath selects (position() and last() count those nodes).
// An endpoint with several statements therefore needs the envelope. Errors are
// mapping_failed: the body is what the route's mappings produced.
core::Result<DbCall> resolveDbCall(const DbConfig& config, const xmlDoc& body);

}  // namespace egov::adapters::db
