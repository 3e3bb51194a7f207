// SQL functions the `db` adapter registers on every SQLite connection it opens (and on the
// load-time check of a statement), for the Italian formats of municipal exports, so that a
// statement can convert them where SQL is cheaper than a mapping:
//
//   egov_decimal_it('1.234,56')   -> 1234.56   ('.' groups thousands in threes, ',' the decimals;
//                                              an INTEGER when there is no decimal part and it
//                                              fits 64 bits, else a REAL)
//   egov_date_it('31/12/2026')    -> '2026-12-31' (dd/MM/yyyy, a real date; TEXT)
//
// Both: NULL, an empty or blank text -> NULL (an empty CSV field is "no value"; a NOT NULL
// column then refuses it); anything else that is not in the format is an SQL error naming the
// function and the value ("egov_decimal_it: '12,3,4' is not an Italian decimal number such
// as 1.234,56"), which fails the statement: the db endpoint answers backend_rejected and
// rolls the transaction back. The rules are the mappings' parse-decimal() and
// format-date(..., 'yyyy-MM-dd', 'dd/MM/yyyy') (core/mapping/date_pattern.hpp).
// Deterministic and innocuous: usable in indexes, CHECK constraints and triggers.
#pragma once

#include <optional>
#include <string_view>

struct sqlite3;

namespace egov::adapters::db {

// Returns SQLite's result code (SQLITE_OK when both were registered).
int registerSqliteFunctions(sqlite3* db);

// A decimal written as strtod reads it (optional '-', digits, optional '.' and digits) as the
// double strtod gives, when it has at most 15 digits; nullopt otherwise (then strtod it).
// egov_decimal_it's common case, on every row of a bulk insert.
std::optional<double> exactDecimal(std::string_view number);

}  // namespace egov::adapters::db
