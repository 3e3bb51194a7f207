// Small libpq helpers of the PostgreSQL journal: owned results, parameterised statements,
// errors classified for the caller (a lost server is `unavailable`, so the API answers 503
// and deliveries retry). Journal threads only.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace egov::core::pg {

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;
using Param = std::optional<std::string>;  // nullopt: SQL NULL

std::int64_t integerAt(const PGresult* result, int row, int column);
std::string oneLine(const char* text);
Error pgError(PGconn* conn, const PGresult* result, std::string_view what);
PgResult query(PGconn* conn, const char* sql, std::initializer_list<Param> params = {});
bool succeeded(const PgResult& result);
// Runs SQL without parameters (several statements allowed); error when it fails.
Result<void> command(PGconn* conn, const char* sql, std::string_view what);
Result<void> execute(PGconn* conn, const char* sql, std::initializer_list<Param> params,
                     std::string_view what);
std::string str(std::int64_t value);

// Applies the journal's pending schema migrations in one transaction, under an advisory
// lock so that instances starting together take turns (pg_journal_schema.cpp).
Result<void> migrate(PGconn* conn);

}  // namespace egov::core::pg
