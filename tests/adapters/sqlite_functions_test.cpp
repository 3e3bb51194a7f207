// The SQL functions the db adapter registers on SQLite connections (egov_decimal_it,
// egov_date_it): valid values, NULL and blanks, and the SQL error for anything else; then the
// same functions in a statement of a `db` endpoint (checked at load, run by the endpoint).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include <sqlite3.h>

#include "adapters/db/sqlite_functions.hpp"
#include "core/mapping/date_pattern.hpp"

using egov::adapters::db::registerSqliteFunctions;

namespace {

struct Db {
  Db() {
    REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK);
    REQUIRE(registerSqliteFunctions(db) == SQLITE_OK);
  }
  ~Db() { sqlite3_close(db); }

  // The first column of the first row as "type:text" (type: integer, real, text, null), or
  // "error:<message>" when the statement fails.
  std::string eval(const std::string& expression) {
    sqlite3_stmt* statement = nullptr;
    const std::string sql = "SELECT " + expression;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
      return "error:" + std::string(sqlite3_errmsg(db));
    }
    std::string out;
    if (sqlite3_step(statement) != SQLITE_ROW) {
      out = "error:" + std::string(sqlite3_errmsg(db));
    } else {
      static const char* kTypes[] = {"", "integer", "real", "text", "blob", "null"};
      const int type = sqlite3_column_type(statement, 0);
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
      out = std::string(kTypes[type]) + ":" + (text ? text : "");
    }
    sqlite3_finalize(statement);
    return out;
  }

  sqlite3* db = nullptr;
};

}  // namespace

TEST_CASE(
    "egov_decimal_it: Italian amounts to numbers; NULL and blanks to NULL; junk is an error") {
  Db db;
  CHECK(db.eval("egov_decimal_it('1.234,56')") == "real:1234.56");
  CHECK(db.eval("egov_decimal_it('1.234.567,5')") == "real:1234567.5");
  CHECK(db.eval("egov_decimal_it('-1.234,56')") == "real:-1234.56");
  CHECK(db.eval("egov_decimal_it('+0,50')") == "real:0.5");
  CHECK(db.eval("egov_decimal_it(' 182,50 ')") == "real:182.5");
  CHECK(db.eval("egov_decimal_it('1.234')") == "integer:1234");  // '.' always groups thousands
  CHECK(db.eval("egov_decimal_it('-42')") == "integer:-42");
  CHECK(db.eval("egov_decimal_it('007')") == "integer:7");
  CHECK(db.eval("egov_decimal_it(NULL)") == "null:");
  CHECK(db.eval("egov_decimal_it('')") == "null:");
  CHECK(db.eval("egov_decimal_it('   ')") == "null:");
  // A number argument is read as its text.
  CHECK(db.eval("egov_decimal_it(12)") == "integer:12");
  // Too large for 64 bits: a REAL.
  CHECK(db.eval("egov_decimal_it('99.999.999.999.999.999.999')") == "real:1.0e+20");
  // Usable in arithmetic and comparisons as a number, not a text.
  CHECK(db.eval("egov_decimal_it('1.000,50') > 999") == "integer:1");
  CHECK(db.eval("egov_decimal_it('0,1') + egov_decimal_it('0,2') < 0.31") == "integer:1");

  for (const char* bad :
       {"12,3,4", "12.34", "1.23,4", "1234,", "€ 5", "1,5e3", "abc", "1 234,5", "--1", ",5"}) {
    CAPTURE(bad);
    const std::string result = db.eval("egov_decimal_it('" + std::string(bad) + "')");
    CHECK(result == "error:egov_decimal_it: '" + std::string(bad) +
                        "' is not an Italian decimal number such as 1.234,56");
  }
}

TEST_CASE("egov_date_it: dd/MM/yyyy to ISO dates; NULL and blanks to NULL; junk is an error") {
  Db db;
  CHECK(db.eval("egov_date_it('31/12/2026')") == "text:2026-12-31");
  CHECK(db.eval("egov_date_it('01/01/1900')") == "text:1900-01-01");
  CHECK(db.eval("egov_date_it('29/02/2024')") == "text:2024-02-29");
  CHECK(db.eval("egov_date_it(' 05/03/2024 ')") == "text:2024-03-05");
  CHECK(db.eval("egov_date_it(NULL)") == "null:");
  CHECK(db.eval("egov_date_it('')") == "null:");
  CHECK(db.eval("egov_date_it(' ')") == "null:");
  for (const char* bad : {"29/02/2025", "31/04/2026", "32/01/2026", "00/01/2026", "1/1/2026",
                          "2026-12-31", "31-12-2026", "31/12/26", "oggi"}) {
    CAPTURE(bad);
    CHECK(db.eval("egov_date_it('" + std::string(bad) + "')") ==
          "error:egov_date_it: '" + std::string(bad) + "' is not a date as 'dd/MM/yyyy'");
  }
  // Deterministic: usable in a CHECK constraint and an index on an expression.
  CHECK(sqlite3_exec(db.db,
                     "CREATE TABLE t (d TEXT CHECK (egov_date_it(d) IS NOT NULL));"
                     "CREATE INDEX t_d ON t (egov_date_it(d));"
                     "INSERT INTO t VALUES ('31/12/2026');",
                     nullptr, nullptr, nullptr) == SQLITE_OK);
  CHECK(db.eval("count(*) FROM t WHERE egov_date_it(d) = '2026-12-31'") == "integer:1");
}

TEST_CASE("egov_date_it answers as format-date(value, 'yyyy-MM-dd', 'dd/MM/yyyy') does") {
  // The function has a fast path for dd/MM/yyyy; every day and month around the valid
  // ranges, in leap and common years, must give what the mappings' format-date gives.
  Db db;
  int compared = 0;
  for (const char* year : {"0000", "1900", "2000", "2023", "2024", "2100", "9999"}) {
    for (int month = 0; month <= 13; ++month) {
      for (int day = 0; day <= 32; ++day) {
        char text[16];
        std::snprintf(text, sizeof text, "%02d/%02d/%s", day, month, year);
        auto expected = egov::core::formatDate(text, "yyyy-MM-dd", "dd/MM/yyyy");
        const std::string got = db.eval("egov_date_it('" + std::string(text) + "')");
        CAPTURE(text);
        if (expected) {
          CHECK(got == "text:" + *expected);
        } else {
          CHECK(got == "error:egov_date_it: " + expected.error().message);
        }
        ++compared;
      }
    }
  }
  CHECK(compared == 7 * 14 * 33);
}

TEST_CASE("egov_decimal_it: the exact quotient it computes is the double strtod gives") {
  // 200,000 random decimals of 1 to 17 digits and 0 to 23 decimals, signed or not, with
  // leading and trailing zeros: wherever exactDecimal answers, its double is strtod's, bit for
  // bit (-0.0 included); it declines more than 15 digits or 22 decimals.
  std::mt19937_64 random(20261127);
  int answered = 0;
  for (int round = 0; round < 200000; ++round) {
    std::string number = random() % 3 == 0 ? "-" : "";
    const int digits = 1 + static_cast<int>(random() % 17);
    const int decimals = static_cast<int>(random() % std::min(digits + 1, 24));
    for (int i = 0; i < digits; ++i) {
      if (i == digits - decimals) number += '.';
      number += static_cast<char>('0' + (random() % 4 == 0 ? 0 : random() % 10));
    }
    if (decimals == digits) number.insert(number.find('.'), "0");
    CAPTURE(number);
    const double expected = std::strtod(number.c_str(), nullptr);
    const auto exact = egov::adapters::db::exactDecimal(number);
    if (!exact) {
      CHECK((digits > 15 || (decimals == digits && digits + 1 > 15)));
      continue;
    }
    ++answered;
    CHECK(std::memcmp(&*exact, &expected, sizeof expected) == 0);
  }
  CHECK(answered > 100000);
  CHECK_FALSE(egov::adapters::db::exactDecimal("1.5.0"));
  CHECK_FALSE(egov::adapters::db::exactDecimal("."));
  CHECK_FALSE(egov::adapters::db::exactDecimal("1e5"));
  CHECK(*egov::adapters::db::exactDecimal("0.1") == 0.1);
  CHECK(*egov::adapters::db::exactDecimal("123456789012345") == 123456789012345.0);
  CHECK_FALSE(egov::adapters::db::exactDecimal("1234567890123456"));
}
