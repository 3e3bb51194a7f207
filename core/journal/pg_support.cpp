#include "core/journal/pg_support.hpp"

#include <charconv>
#include <vector>

namespace egov::core::pg {

std::int64_t integerAt(const PGresult* result, int row, int column) {
  const char* text = PQgetvalue(result, row, column);
  std::int64_t value = 0;
  std::from_chars(text, text + PQgetlength(result, row, column), value);
  return value;
}

// libpq messages end with a newline and may span lines; a log line wants one.
std::string oneLine(const char* text) {
  std::string out = text ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  for (auto pos = out.find('\n'); pos != std::string::npos; pos = out.find('\n', pos)) {
    out.replace(pos, 1, "; ");
  }
  return out;
}

// A failure the next attempt may not see (server gone, lock conflict, timeout) is
// `unavailable`: the API answers 503 and the delivery worker tries again.
Error pgError(PGconn* conn, const PGresult* result, std::string_view what) {
  const std::string prefix = "journal: " + std::string(what) + ": ";
  if (PQstatus(conn) != CONNECTION_OK) {
    return makeError(ErrorKind::unavailable,
                     prefix + "connection lost: " + oneLine(PQerrorMessage(conn)));
  }
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const std::string message = prefix + "SQLSTATE " + (sqlstate.empty() ? "?" : sqlstate) + ": " +
                              oneLine(primary ? primary : PQerrorMessage(conn));
  const std::string type = sqlstate.substr(0, 2);
  if (type == "08" || type == "53" || type == "57" || type == "40" || sqlstate == "55P03") {
    return makeError(ErrorKind::unavailable, message);
  }
  return makeError(ErrorKind::internal, message);
}

PgResult query(PGconn* conn, const char* sql, std::initializer_list<Param> params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
  return PgResult(PQexecParams(conn, sql, static_cast<int>(values.size()), nullptr, values.data(),
                               nullptr, nullptr, 0));
}

bool succeeded(const PgResult& result) {
  const auto status = PQresultStatus(result.get());
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

Result<void> command(PGconn* conn, const char* sql, std::string_view what) {
  PgResult result(PQexec(conn, sql));
  if (!succeeded(result)) return pgError(conn, result.get(), what);
  return {};
}

Result<void> execute(PGconn* conn, const char* sql, std::initializer_list<Param> params,
                     std::string_view what) {
  auto result = query(conn, sql, params);
  if (!succeeded(result)) return pgError(conn, result.get(), what);
  return {};
}

std::string str(std::int64_t value) {
  return std::to_string(value);
}

}  // namespace egov::core::pg
