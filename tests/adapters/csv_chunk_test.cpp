// The csv source in chunk mode (rows_per_exchange > 1) in a running bus: chunks mapped and
// inserted into SQLite with one statement (json_each and the egov_ SQL functions); every row
// in outcomes.csv; a chunk holding bad rows retried row by row so that exactly those rows are
// rejected, with their reasons; a stop, a reload and a restart mid-file with no row twice;
// and the option's config errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sqlite3.h>

#include "core/log/log.hpp"
#include "tests/support/source_harness.hpp"
#include "tests/support/temp_config.hpp"
#include "tests/support/test_http_server.hpp"

using namespace egov;
using egov::test::dropFile;
using egov::test::readFile;
using egov::test::SourceHarness;
using egov::test::TempConfig;
using egov::test::TestHttpRequest;
using egov::test::TestHttpResponse;
using egov::test::TestHttpServer;
using egov::test::waitUntil;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  return out;
}

std::vector<std::string> split(const std::string& line, char delimiter) {
  std::vector<std::string> out(1);
  for (char c : line) {
    if (c == delimiter) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

// Runs SQL on the archive; the rows as "a|b|c" lines.
std::vector<std::string> query(const fs::path& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
  std::vector<std::string> rows;
  char* message = nullptr;
  const int rc = sqlite3_exec(
      db, sql.c_str(),
      [](void* out, int columns, char** values, char**) {
        std::string row;
        for (int i = 0; i < columns; ++i) {
          row += (i ? "|" : "") + std::string(values[i] ? values[i] : "NULL");
        }
        static_cast<std::vector<std::string>*>(out)->push_back(row);
        return 0;
      },
      &rows, &message);
  const std::string error = message ? message : "";
  sqlite3_free(message);
  sqlite3_close(db);
  REQUIRE_MESSAGE(rc == SQLITE_OK, error);
  return rows;
}

// A chunk -> [[row, cf, importo, scadenza], ...] with the chunk's first and last row; an empty
// fiscal code stops the mapping (a chunk the mapping rejects).
const char* kChunkMapping = R"XSL(<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:csv="urn:egovbus:csv" exclude-result-prefixes="csv">
  <xsl:template match="/csv:rows">
    <carica file="{@file}" first="{@first}" last="{@last}"><righe>[<xsl:for-each select="csv:row">
      <xsl:if test="csv:field[1] = ''">
        <xsl:message terminate="yes">bad-request: codice_fiscale is empty</xsl:message>
      </xsl:if>
      <xsl:if test="position() &gt; 1">,</xsl:if>
      <xsl:value-of select="concat('[&quot;', @number, '&quot;,&quot;', csv:field[1], '&quot;,&quot;',
                                   csv:field[2], '&quot;,&quot;', csv:field[3], '&quot;]')"/>
    </xsl:for-each>]</righe></carica>
  </xsl:template>
</xsl:stylesheet>
)XSL";

const char* kSchema =
    "CREATE TABLE versamenti (riga INTEGER NOT NULL, cf TEXT NOT NULL CHECK (length(cf) = 16),"
    " importo REAL NOT NULL, scadenza TEXT NOT NULL, file TEXT, primo INTEGER, ultimo INTEGER)";

// The archive's statement: the chunk as the JSON array of rows the mapping writes, inserted
// by one statement.
constexpr const char* kJsonEachStatement =
    "        sql: >-\n"
    "          INSERT INTO versamenti (riga, cf, importo, scadenza, file, primo, ultimo)\n"
    "          SELECT value ->> 0, value ->> 1, egov_decimal_it(value ->> 2),\n"
    "                 egov_date_it(value ->> 3), :file, :first, :last FROM json_each(:righe)\n"
    "        params: { righe: /carica/righe, file: /carica/@file, first: /carica/@first,\n"
    "                  last: /carica/@last }\n";

// A tenant whose route runs `steps` on a chunk, the archive's statement being `statement`
// (by default: the mapping, then one statement for the chunk); `source_extra` adds source
// settings (rows_per_exchange among them).
std::string tenantFile(
    const std::string& source_extra, const std::string& statement = kJsonEachStatement,
    const std::string& steps = "[ { map: chunk/righe.xsl }, { call: archivio } ]") {
  return "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
         "endpoints:\n"
         "  archivio:\n"
         "    type: db\n"
         "    driver: sqlite\n"
         "    path: ../../var/archivio.db\n"
         "    pool: { max: 1 }\n"
         "    statements:\n"
         "      carica:\n" +
         statement +
         "routes:\n"
         "  - service: tari.carica\n"
         "    steps: " +
         steps +
         "\n"
         "sources:\n"
         "  versamenti:\n"
         "    type: csv\n"
         "    service: tari.carica\n"
         "    folder: ../../drop\n"
         "    delimiter: \";\"\n"
         "    settle: 50ms\n"
         "    interval: 20ms\n" +
         source_extra;
}

struct ChunkBus {
  ChunkBus() : drop(config.root() / "drop"), archive(config.root() / "var/archivio.db") {
    fs::create_directories(drop);
    fs::create_directories(archive.parent_path());
    query(archive, kSchema);
    config.write("mappings/chunk/righe.xsl", kChunkMapping);
  }
  TempConfig config;
  fs::path drop;
  fs::path archive;
};

// Bari with a csv source on ../../drop feeding tari.versamento, whose route calls the http
// back-end at `url`; `route_extra` and `source_extra` are YAML lines added to each.
std::string httpTenant(const std::string& url, const std::string& route_extra,
                       const std::string& source_extra) {
  return "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
         "endpoints:\n"
         "  tributi: { type: http, url: \"" +
         url +
         "\", format: xml, timeout: 10s }\n"
         "routes:\n"
         "  - service: tari.versamento\n" +
         route_extra +
         "    steps: [ { call: tributi } ]\n"
         "sources:\n"
         "  versamenti:\n"
         "    type: csv\n"
         "    service: tari.versamento\n"
         "    folder: ../../drop\n"
         "    delimiter: \";\"\n"
         "    settle: 50ms\n"
         "    interval: 20ms\n" +
         source_extra;
}

std::string goodRow(int i) {
  // Italian amounts with thousands separators, a negative one now and then, real dates.
  const int thousands = i % 900 + 1;  // 1.234,xx to 900.234,xx
  const int euros = (i % 7 == 0) ? -(thousands * 1000 + 234) : thousands * 1000 + 234;
  const std::string amount = (euros < 0 ? "-" : "") + std::to_string(std::abs(euros) / 1000) + "." +
                             std::to_string(std::abs(euros) % 1000) + "," +
                             (i % 100 < 10 ? "0" : "") + std::to_string(i % 100);
  const int day = 1 + i % 28;
  return "RSSMRA80A01A662A;" + amount + ";" + (day < 10 ? "0" : "") + std::to_string(day) +
         "/12/2026";
}

// Runs the calling test twice: without I/O contexts (as in egovbus check), and with two,
// each on a thread of its own, as in serve: there the source runs on one of them while
// delivery runs on the harness's own. Returns the number of contexts of this run.
int ioLanes() {
  int lanes = 0;
  SUBCASE("no I/O context") {
    lanes = 0;
  }
  SUBCASE("two I/O contexts") {
    lanes = 2;
  }
  return lanes;
}

// Log lines, for the events a test cannot see otherwise (a resumed file).
std::mutex log_mutex;
std::string log_text;
void captureLog(std::string_view line) {
  std::lock_guard lock(log_mutex);
  log_text.append(line).append("\n");
}
std::string logged() {
  std::lock_guard lock(log_mutex);
  return log_text;
}

}  // namespace

TEST_CASE(
    "csv chunk mode: 2,503 rows in chunks of 1,000 land in SQLite; every row has its outcome") {
  const int io_lanes = ioLanes();
  CAPTURE(io_lanes);
  ChunkBus setup;
  setup.config.write("conf/tenants/bari.yaml", tenantFile("    rows_per_exchange: 1000\n"));
  SourceHarness bus(setup.config, io_lanes);
  bus.start();
  constexpr int kRows = 2503;
  std::string text = "codice_fiscale;importo;scadenza\n";
  for (int i = 1; i <= kRows; ++i) text += goodRow(i) + "\n";
  dropFile(setup.drop / "versamenti.csv", text);
  REQUIRE(waitUntil([&] { return fs::exists(setup.drop / "done/versamenti.csv"); }));

  CHECK(query(setup.archive,
              "SELECT count(*), count(DISTINCT riga), min(riga), max(riga) "
              "FROM versamenti") == std::vector<std::string>{"2503|2503|1|2503"});
  // Three chunks, each body <rows file first last> with its rows; the last one is short.
  CHECK(
      query(setup.archive,
            "SELECT file, primo, ultimo, count(*) FROM versamenti GROUP BY primo ORDER BY primo") ==
      std::vector<std::string>{"versamenti.csv|1|1000|1000", "versamenti.csv|1001|2000|1000",
                               "versamenti.csv|2001|2503|503"});
  // The SQL functions converted the Italian amounts and dates (row 7 is negative).
  CHECK(query(setup.archive,
              "SELECT importo, scadenza FROM versamenti WHERE riga IN (7, 12) "
              "ORDER BY riga") ==
        std::vector<std::string>{"-8234.07|2026-12-08", "13234.12|2026-12-13"});

  const auto outcome_lines = lines(readFile(setup.drop / "done/versamenti.csv.outcomes.csv"));
  REQUIRE(outcome_lines.size() == kRows + 1);
  CHECK(outcome_lines.front() == "row;line;outcome;exchange_id;detail");
  std::map<std::string, int> rows_per_exchange;
  for (int i = 1; i <= kRows; ++i) {
    const auto fields = split(outcome_lines[i], ';');
    REQUIRE(fields.size() == 5);
    CHECK(fields[0] == std::to_string(i));
    CHECK(fields[1] == std::to_string(i + 1));
    CHECK(fields[2] == "ok");
    ++rows_per_exchange[fields[3]];
  }
  // All the rows of a chunk carry its exchange id: three exchanges.
  CHECK(rows_per_exchange.size() == 3);
  CHECK_FALSE(fs::exists(setup.drop / "done/versamenti.csv.rejects.csv"));
  auto batches = bus.await(bus.journal().listBatches("072006", 10));
  REQUIRE(batches);
  REQUIRE(batches->size() == 1);
  CHECK(batches->front().rows_done == kRows);
  CHECK(batches->front().rows_failed == 0);
  CHECK(bus.bus().metrics().render().find(
            "egov_source_rows_total{source=\"bari/versamenti\",outcome=\"ok\"} 2503") !=
        std::string::npos);
}

TEST_CASE(
    "csv chunk mode: a chunk with bad rows is retried row by row; exactly those are rejected") {
  ChunkBus setup;
  setup.config.write("conf/tenants/bari.yaml", tenantFile("    rows_per_exchange: 10\n"));
  SourceHarness bus(setup.config);
  bus.start();
  std::string text = "codice_fiscale;importo;scadenza\n";
  for (int i = 1; i <= 25; ++i) {
    if (i == 5) {
      text += "RSSMRA80A01A662A;1,00\n";  // a field short: rejected before any chunk
    } else if (i == 9) {
      text += ";1,00;01/01/2026\n";  // the mapping refuses it
    } else if (i == 13) {
      text += "RSSMRA80A01A662A;12,3,4;01/01/2026\n";  // egov_decimal_it refuses it
    } else if (i == 17) {
      text += "RSSMRA80A01A662;1,00;01/01/2026\n";  // the table's CHECK refuses it
    } else if (i == 21) {
      text += "RSSMRA80A01A662A;1,00;31/02/2026\n";  // egov_date_it refuses it
    } else {
      text += goodRow(i) + "\n";
    }
  }
  dropFile(setup.drop / "versamenti.csv", text);
  REQUIRE(waitUntil([&] { return fs::exists(setup.drop / "done/versamenti.csv"); }));

  CHECK(query(setup.archive,
              "SELECT group_concat(riga) FROM (SELECT riga FROM versamenti "
              "ORDER BY riga)") ==
        std::vector<std::string>{"1,2,3,4,6,7,8,10,11,12,14,15,16,18,19,20,22,23,24,25"});

  const std::string outcomes = readFile(setup.drop / "done/versamenti.csv.outcomes.csv");
  CAPTURE(outcomes);
  CHECK(lines(outcomes).size() == 26);
  const std::string rejects = readFile(setup.drop / "done/versamenti.csv.rejects.csv");
  CAPTURE(rejects);
  const auto reject_lines = lines(rejects);
  REQUIRE(reject_lines.size() == 6);
  CHECK(reject_lines[0] == "row;codice_fiscale;importo;scadenza;reason");
  CHECK(reject_lines[1] ==
        "5;RSSMRA80A01A662A;1,00;bad-request: the row has 2 fields, the header 3");
  CHECK(reject_lines[2].starts_with("9;;1,00;01/01/2026;"));
  CHECK(reject_lines[2].find("codice_fiscale is empty") != std::string::npos);
  CHECK(reject_lines[3].starts_with("13;RSSMRA80A01A662A;12,3,4;01/01/2026;backend-rejected: "));
  CHECK(reject_lines[3].find("egov_decimal_it: '12,3,4' is not an Italian decimal number") !=
        std::string::npos);
  CHECK(reject_lines[4].starts_with("17;RSSMRA80A01A662;1,00;01/01/2026;backend-rejected: "));
  CHECK(reject_lines[4].find("CHECK constraint failed") != std::string::npos);
  CHECK(reject_lines[5].starts_with("21;RSSMRA80A01A662A;1,00;31/02/2026;backend-rejected: "));
  CHECK(reject_lines[5].find("egov_date_it: '31/02/2026' is not a date as 'dd/MM/yyyy'") !=
        std::string::npos);

  // Rows of a chunk that went through whole share its id; rows retried alone have their own.
  std::map<std::string, std::set<int>> rows_of;
  for (const auto& line : lines(outcomes)) {
    const auto fields = split(line, ';');
    if (fields[0] == "row" || fields[2] != "ok") continue;
    rows_of[fields[3]].insert(std::stoi(fields[0]));
  }
  // Rows 1-10 (row 5 rejected before, row 9 by the mapping), 11-20 and 21-25 all failed as
  // chunks: every good row went alone.
  CHECK(rows_of.size() == 20);
  auto batches = bus.await(bus.journal().listBatches("072006", 10));
  REQUIRE(batches);
  REQUIRE(batches->size() == 1);
  CHECK(batches->front().rows_done == 25);
  CHECK(batches->front().rows_failed == 5);
  const std::string metrics = bus.bus().metrics().render();
  CHECK(metrics.find("egov_source_rows_total{source=\"bari/versamenti\",outcome=\"ok\"} 20") !=
        std::string::npos);
  CHECK(metrics.find("egov_source_rows_total{source=\"bari/versamenti\",outcome=\"rejected\"} 5") !=
        std::string::npos);
}

TEST_CASE("csv chunk mode: a for_each statement inserts a chunk row by row with no mapping") {
  const int io_lanes = ioLanes();
  CAPTURE(io_lanes);
  ChunkBus setup;
  // The params read each <row> (its number attribute, its fields by position) and the chunk
  // around it (../@first); the route is the call alone.
  setup.config.write(
      "conf/tenants/bari.yaml",
      tenantFile("    rows_per_exchange: 100\n",
                 "        for_each: /*/*\n"
                 "        sql: >-\n"
                 "          INSERT INTO versamenti (riga, cf, importo, scadenza, file, primo,\n"
                 "                                  ultimo)\n"
                 "          VALUES (:riga, :cf, egov_decimal_it(:importo),\n"
                 "                  egov_date_it(:scadenza), :file, :primo, :ultimo)\n"
                 "        params: { riga: \"@number\", cf: \"*[1]\", importo: \"*[2]\",\n"
                 "                  scadenza: \"*[3]\", file: ../@file, primo: ../@first,\n"
                 "                  ultimo: ../@last }\n",
                 "[ { call: archivio } ]"));
  SourceHarness bus(setup.config, io_lanes);
  bus.start();
  std::string text = "codice_fiscale;importo;scadenza\n";
  for (int i = 1; i <= 250; ++i) {
    text += i == 120 ? "RSSMRA80A01A662;1,00;01/01/2026\n" : goodRow(i) + "\n";
  }
  dropFile(setup.drop / "versamenti.csv", text);
  REQUIRE(waitUntil([&] { return fs::exists(setup.drop / "done/versamenti.csv"); }));

  // Chunks 1-100 and 201-250 whole; 101-200 refused for row 120 and sent again row by row.
  CHECK(query(setup.archive,
              "SELECT primo, ultimo, count(*), min(riga), max(riga) FROM versamenti "
              "GROUP BY primo, ultimo HAVING count(*) > 1 ORDER BY primo") ==
        std::vector<std::string>{"1|100|100|1|100", "201|250|50|201|250"});
  CHECK(query(setup.archive,
              "SELECT count(*), sum(riga = primo AND riga = ultimo) FROM versamenti "
              "WHERE riga BETWEEN 101 AND 200") == std::vector<std::string>{"99|99"});
  CHECK(query(setup.archive,
              "SELECT file, importo, scadenza FROM versamenti WHERE riga IN (7, 12) "
              "ORDER BY riga") == std::vector<std::string>{"versamenti.csv|-8234.07|2026-12-08",
                                                           "versamenti.csv|13234.12|2026-12-13"});
  const auto reject_lines = lines(readFile(setup.drop / "done/versamenti.csv.rejects.csv"));
  REQUIRE(reject_lines.size() == 2);
  CHECK(reject_lines[1] ==
        "120;RSSMRA80A01A662;1,00;01/01/2026;backend-rejected: bari/archivio: for_each node 1 "
        "of 1: CHECK constraint failed: length(cf) = 16 (sqlite error 275)");
  CHECK(lines(readFile(setup.drop / "done/versamenti.csv.outcomes.csv")).size() == 251);
}

TEST_CASE("csv chunk mode: a good chunk beside a bad one goes through whole") {
  ChunkBus setup;
  setup.config.write("conf/tenants/bari.yaml", tenantFile("    rows_per_exchange: 4\n"));
  SourceHarness bus(setup.config);
  bus.start();
  std::string text = "codice_fiscale;importo;scadenza\n";
  for (int i = 1; i <= 8; ++i) {
    text += i == 6 ? "RSSMRA80A01A662A;abc;01/01/2026\n" : goodRow(i) + "\n";
  }
  dropFile(setup.drop / "versamenti.csv", text);
  REQUIRE(waitUntil([&] { return fs::exists(setup.drop / "done/versamenti.csv"); }));
  // Rows 1-4 in one exchange (primo 1, ultimo 4); 5, 7 and 8 alone (one-row chunks).
  CHECK(query(setup.archive, "SELECT riga, primo, ultimo FROM versamenti ORDER BY riga") ==
        std::vector<std::string>{"1|1|4", "2|1|4", "3|1|4", "4|1|4", "5|5|5", "7|7|7", "8|8|8"});
  const auto reject_lines = lines(readFile(setup.drop / "done/versamenti.csv.rejects.csv"));
  REQUIRE(reject_lines.size() == 2);
  CHECK(reject_lines[1].starts_with("6;RSSMRA80A01A662A;abc;01/01/2026;backend-rejected: "));
}

TEST_CASE("csv chunk mode: a reload and a restart mid-file resume it; no row twice, none lost") {
  std::mutex mutex;
  std::map<int, int> received;  // row number -> times
  std::vector<std::string> keys;
  TestHttpServer server([&](const TestHttpRequest& request) {
    {
      std::lock_guard lock(mutex);
      const std::string marker = "<row number=\"";
      for (auto at = request.body.find(marker); at != std::string::npos;
           at = request.body.find(marker, at + 1)) {
        const auto start = at + marker.size();
        ++received[std::stoi(request.body.substr(start, request.body.find('"', start) - start))];
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // a slow back-end
    return TestHttpResponse{200, "application/json", "{}"};
  });
  TempConfig config;
  const fs::path drop = config.root() / "drop";
  fs::create_directories(drop);
  config.write(
      "conf/tenants/bari.yaml",
      httpTenant(server.url("/versamenti"), "", "    concurrency: 2\n    rows_per_exchange: 7\n"));
  core::setLogSink(captureLog);
  std::string text = "codice_fiscale;importo;anno\n";
  constexpr int kRows = 600;
  for (int i = 1; i <= kRows; ++i) text += "RSSMRA80A01A662A;" + std::to_string(i) + ";2024\n";
  {
    SourceHarness bus(config);
    bus.start();
    dropFile(drop / "grande.csv", text);
    REQUIRE(waitUntil([&] { return server.requestCount() >= 15; }));
    bus.reload();  // the new generation's source takes the file over
    REQUIRE(waitUntil([&] { return server.requestCount() >= 40; }));
  }  // the process stops mid-file
  CHECK_FALSE(fs::exists(drop / "done/grande.csv"));
  SourceHarness restarted(config);
  restarted.start();
  REQUIRE(waitUntil([&] { return fs::exists(drop / "done/grande.csv"); }));
  core::setLogSink(nullptr);

  std::lock_guard lock(mutex);
  CHECK(received.size() == kRows);
  for (const auto& [row, times] : received) {
    CAPTURE(row);
    CHECK(times == 1);
  }
  // 86 chunks of 7 rows (the last one of 5): never more exchanges than that.
  CHECK(server.requestCount() == 86);
  const auto outcome_lines = lines(readFile(drop / "done/grande.csv.outcomes.csv"));
  REQUIRE(outcome_lines.size() == kRows + 1);
  for (int i = 1; i <= kRows; ++i) {
    CAPTURE(outcome_lines[i]);
    CHECK(outcome_lines[i].starts_with(std::to_string(i) + ";" + std::to_string(i + 1) + ";ok;"));
  }
  const std::string log = logged();
  std::size_t resumed = 0;
  for (auto at = log.find("batch file resumed"); at != std::string::npos;
       at = log.find("batch file resumed", at + 1)) {
    ++resumed;
  }
  CHECK(resumed == 2);
}

TEST_CASE("csv chunk mode: rows_per_exchange config errors name the file and line") {
  const std::pair<const char*, const char*> cases[] = {
      {"    rows_per_exchange: 0\n",
       "conf/tenants/bari.yaml:27:24: sources.versamenti.rows_per_exchange: must be between 1 and "
       "10000"},
      {"    rows_per_exchange: -5\n",
       "conf/tenants/bari.yaml:27:24: sources.versamenti.rows_per_exchange: must be between 1 and "
       "10000"},
      {"    rows_per_exchange: many\n",
       "conf/tenants/bari.yaml:27:24: sources.versamenti.rows_per_exchange: expected an integer"},
      {"    rows_per_exchange: 1.5\n",
       "conf/tenants/bari.yaml:27:24: sources.versamenti.rows_per_exchange: expected an integer"},
      {"    rows_per_exchange: 10001\n",
       "conf/tenants/bari.yaml:27:24: sources.versamenti.rows_per_exchange: must be between 1 and "
       "10000"},
  };
  for (const auto& [extra, message] : cases) {
    CAPTURE(extra);
    ChunkBus setup;
    setup.config.write("conf/tenants/bari.yaml", tenantFile(extra));
    CHECK_FALSE(setup.config.load());
    CAPTURE(setup.config.errorText());
    CHECK(setup.config.errorText().find(message) != std::string::npos);
  }
  ChunkBus good;
  good.config.write("conf/tenants/bari.yaml", tenantFile("    rows_per_exchange: 10000\n"));
  CHECK_MESSAGE(good.config.load(), good.config.errorText());
}

TEST_CASE("csv chunk mode: a one-way route journals each chunk once; its rows are queued") {
  TestHttpServer server([](const TestHttpRequest&) {
    return TestHttpResponse{200, "application/json", "{}"};
  });
  TempConfig config;
  const fs::path drop = config.root() / "drop";
  fs::create_directories(drop);
  config.write(
      "conf/tenants/bari.yaml",
      httpTenant(server.url("/versamenti"), "    mode: one-way\n", "    rows_per_exchange: 3\n"));
  SourceHarness bus(config);
  bus.start();
  std::string text = "codice_fiscale;importo;anno\n";
  for (int i = 1; i <= 5; ++i) text += "RSSMRA80A01A662A;" + std::to_string(i) + ";2024\n";
  dropFile(drop / "versamenti.csv", text);
  REQUIRE(waitUntil([&] { return fs::exists(drop / "done/versamenti.csv"); }));
  const auto outcome_lines = lines(readFile(drop / "done/versamenti.csv.outcomes.csv"));
  REQUIRE(outcome_lines.size() == 6);
  std::vector<std::string> ids;
  for (int i = 1; i <= 5; ++i) {
    const auto fields = split(outcome_lines[i], ';');
    CHECK(fields[2] == "queued");
    ids.push_back(fields[3]);
  }
  // Rows 1-3 are one journaled exchange, rows 4-5 another.
  CHECK(ids[0] == ids[1]);
  CHECK(ids[1] == ids[2]);
  CHECK(ids[3] == ids[4]);
  CHECK(ids[0] != ids[3]);
  REQUIRE(waitUntil([&] { return server.requestCount() == 2; }));
  std::set<std::string> bodies;
  for (const auto& request : server.requests()) bodies.insert(request.body);
  CHECK(std::count_if(bodies.begin(), bodies.end(), [](const std::string& body) {
          return body.find("first=\"1\" last=\"3\"") != std::string::npos;
        }) == 1);
  CHECK(std::count_if(bodies.begin(), bodies.end(), [](const std::string& body) {
          return body.find("first=\"4\" last=\"5\"") != std::string::npos;
        }) == 1);
}
