#include "adapters/db/sqlite_functions.hpp"

#include <cerrno>
#include <cstdlib>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "core/mapping/date_pattern.hpp"

namespace egov::adapters::db {
namespace {

// The argument's text, or nullopt-like empty with `null` set for NULL and blank values.
bool textArgument(sqlite3_value* value, std::string_view& text) {
  if (sqlite3_value_type(value) == SQLITE_NULL) return false;
  const auto* data = reinterpret_cast<const char*>(sqlite3_value_text(value));
  const int bytes = sqlite3_value_bytes(value);
  text = data ? std::string_view(data, static_cast<std::size_t>(bytes)) : std::string_view();
  return text.find_first_not_of(" \t\r\n") != std::string_view::npos;
}

void fail(sqlite3_context* context, const char* function, const std::string& message) {
  const std::string text = std::string(function) + ": " + message;
  sqlite3_result_error(context, text.c_str(), static_cast<int>(text.size()));
}

void decimalIt(sqlite3_context* context, int, sqlite3_value** argv) {
  std::string_view text;
  if (!textArgument(argv[0], text)) return sqlite3_result_null(context);
  auto parsed = core::parseItalianDecimal(text);
  if (!parsed) return fail(context, "egov_decimal_it", parsed.error().message);
  const std::string& number = *parsed;
  if (number.find('.') == std::string::npos) {
    errno = 0;
    char* end = nullptr;
    const long long value = std::strtoll(number.c_str(), &end, 10);
    if (errno == 0 && end && *end == '\0') return sqlite3_result_int64(context, value);
  }
  char* end = nullptr;
  const double value = std::strtod(number.c_str(), &end);
  if (!end || *end != '\0') {
    return fail(context, "egov_decimal_it", "'" + std::string(text) + "' is out of range");
  }
  sqlite3_result_double(context, value);
}

void dateIt(sqlite3_context* context, int, sqlite3_value** argv) {
  std::string_view text;
  if (!textArgument(argv[0], text)) return sqlite3_result_null(context);
  auto formatted = core::formatDate(text, "yyyy-MM-dd", "dd/MM/yyyy");
  if (!formatted) return fail(context, "egov_date_it", formatted.error().message);
  sqlite3_result_text(context, formatted->c_str(), static_cast<int>(formatted->size()),
                      SQLITE_TRANSIENT);
}

}  // namespace

int registerSqliteFunctions(sqlite3* db) {
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  int rc = sqlite3_create_function_v2(db, "egov_decimal_it", 1, kFlags, nullptr, &decimalIt,
                                      nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return rc;
  return sqlite3_create_function_v2(db, "egov_date_it", 1, kFlags, nullptr, &dateIt, nullptr,
                                    nullptr, nullptr);
}

}  // namespace egov::adapters::db
