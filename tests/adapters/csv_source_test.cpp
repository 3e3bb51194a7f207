// The csv source (a watched drop folder) in a running bus: rows become exchanges of a route
// that calls a real HTTP peer; outcomes, rejects, done/ and error/; a file processed once
// across drops and restarts; a stopped or reloaded source resumed with no row twice; marker
// files; one-way routes whose exchanges are then tracked through /api/v1; and its config.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

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

// The value of <field name="name"> in a row body the http adapter sent as XML.
std::string fieldOf(const std::string& body, const std::string& name) {
  const std::string open = "<field name=\"" + name + "\">";
  auto at = body.find(open);
  if (at == std::string::npos) return {};
  at += open.size();
  return body.substr(at, body.find('<', at) - at);
}

std::string rowNumberOf(const std::string& body) {
  const std::string key = "number=\"";
  auto at = body.find(key) + key.size();
  return body.substr(at, body.find('"', at) - at);
}

// A back-end that accepts every row but the fiscal code XXXXXXXXXXXXXXXX (400).
TestHttpResponse backend(const TestHttpRequest& request) {
  if (fieldOf(request.body, "codice_fiscale") == "XXXXXXXXXXXXXXXX") {
    return {400, "application/json", R"({"errore":"codice fiscale non valido"})"};
  }
  return {200, "application/json", R"({"esito":"registrato"})"};
}

std::string tenantFile(const std::string& url, const std::string& source_extra,
                       const std::string& route_extra = "") {
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

struct DropFolder {
  explicit DropFolder(TempConfig& config) : root(config.root() / "drop") {
    fs::create_directories(root);
  }
  fs::path root;
  fs::path done() const { return root / "done"; }
  fs::path error() const { return root / "error"; }
};

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

const char* kFile =
    "codice_fiscale;importo;anno\r\n"
    "RSSMRA80A01A662A;182,50;2024\r\n"
    "VRDGPP80A01A662B;10,00;2024\r\n"
    "XXXXXXXXXXXXXXXX;1,00;2024\r\n"
    "BNCLRA80A41A662C;5,00\r\n";

}  // namespace

TEST_CASE("csv source: each row becomes an exchange; outcomes, rejects and done/ are written") {
  TestHttpServer server(backend);
  TempConfig config;
  DropFolder drop(config);
  config.write("conf/tenants/bari.yaml", tenantFile(server.url("/versamenti"), ""));
  SourceHarness bus(config);
  bus.start();
  dropFile(drop.root / "versamenti.csv", kFile);
  REQUIRE(waitUntil([&] { return fs::exists(drop.done() / "versamenti.csv"); }));
  CHECK_FALSE(fs::exists(drop.root / "versamenti.csv"));

  // The row with a missing field never reaches the back-end.
  std::set<std::string> codes;
  for (const auto& request : server.requests()) {
    codes.insert(fieldOf(request.body, "codice_fiscale"));
    CHECK(request.body.find("<row xmlns=\"urn:egovbus:csv\" file=\"versamenti.csv\"") !=
          std::string::npos);
  }
  CHECK(codes == std::set<std::string>{"RSSMRA80A01A662A", "VRDGPP80A01A662B", "XXXXXXXXXXXXXXXX"});
  bool amount_seen = false;
  for (const auto& request : server.requests()) {
    amount_seen |= request.body.find("<field name=\"importo\">182,50</field>") != std::string::npos;
  }
  CHECK(amount_seen);

  const std::string outcomes = readFile(drop.done() / "versamenti.csv.outcomes.csv");
  CAPTURE(outcomes);
  CHECK(outcomes.starts_with("row;line;outcome;exchange_id;detail\r\n"));
  CHECK(outcomes.find("1;2;ok;") != std::string::npos);
  CHECK(outcomes.find("2;3;ok;") != std::string::npos);
  CHECK(outcomes.find("3;4;rejected;;") != std::string::npos);
  CHECK(outcomes.find("backend-rejected") != std::string::npos);
  CHECK(outcomes.find("4;5;rejected;;bad-request: the row has 2 fields, the header 3") !=
        std::string::npos);

  const std::string rejects = readFile(drop.done() / "versamenti.csv.rejects.csv");
  CAPTURE(rejects);
  CHECK(rejects.starts_with("row;codice_fiscale;importo;anno;reason\r\n"));
  CHECK(rejects.find("3;XXXXXXXXXXXXXXXX;1,00;2024;") != std::string::npos);
  CHECK(rejects.find("backend-rejected") != std::string::npos);
  CHECK(rejects.find("4;BNCLRA80A41A662C;5,00;bad-request: the row has 2 fields") !=
        std::string::npos);
  CHECK(rejects.find("RSSMRA80A01A662A") == std::string::npos);

  auto batches = bus.await(bus.journal().listBatches("072006", 10));
  REQUIRE(batches);
  REQUIRE(batches->size() == 1);
  const auto& batch = batches->front();
  CHECK(batch.source == "bari/versamenti");
  CHECK(batch.state == core::BatchState::done);
  CHECK(batch.rows_total == 4);
  CHECK(batch.rows_done == 4);
  CHECK(batch.rows_failed == 2);
  CHECK(bus.bus().metrics().render().find(
            "egov_source_rows_total{source=\"bari/versamenti\",outcome=\"rejected\"} 2") !=
        std::string::npos);
}

// Progress is checkpointed every second: a back-end slow enough that the file takes several
// seconds guarantees progress lines while it runs, whatever the machine's speed.
TEST_CASE("csv source: progress (rows done / total, rows/s) in logs and metrics") {
  TestHttpServer server([](const TestHttpRequest&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return TestHttpResponse{200, "application/json", "{}"};
  });
  TempConfig config;
  DropFolder drop(config);
  config.write("conf/tenants/bari.yaml",
               tenantFile(server.url("/versamenti"), "    concurrency: 1\n"));
  {
    std::lock_guard lock(log_mutex);
    log_text.clear();
  }
  core::setLogSink(captureLog);
  std::string text = "codice_fiscale;importo;anno\n";
  constexpr int kRows = 30;
  for (int i = 1; i <= kRows; ++i) text += "RSSMRA80A01A662A;" + std::to_string(i) + ";2024\n";
  SourceHarness bus(config);
  bus.start();
  dropFile(drop.root / "progressi.csv", text);
  REQUIRE(waitUntil([&] { return fs::exists(drop.done() / "progressi.csv"); }));
  core::setLogSink([](std::string_view) {});

  const std::string lines = logged();
  CAPTURE(lines);
  const auto progress = lines.find("\"batch progress\"");
  REQUIRE(progress != std::string::npos);
  const std::string line = lines.substr(progress, lines.find('\n', progress) - progress);
  CHECK(line.find("\"file\":\"progressi.csv\"") != std::string::npos);
  CHECK(line.find("\"rows_total\":30") != std::string::npos);
  CHECK(line.find("\"rows_done\":") != std::string::npos);
  CHECK(line.find("\"rows_per_second\":") != std::string::npos);

  const std::string metrics = bus.bus().metrics().render();
  CAPTURE(metrics);
  CHECK(metrics.find("egov_source_batch_rows_total{source=\"bari/versamenti\"} 30") !=
        std::string::npos);
  CHECK(metrics.find("egov_source_batch_rows_done{source=\"bari/versamenti\"} 30") !=
        std::string::npos);
  CHECK(metrics.find("egov_source_batch_rows_per_second{source=\"bari/versamenti\"}") !=
        std::string::npos);
  CHECK(metrics.find("egov_source_rows_total{source=\"bari/versamenti\",outcome=\"ok\"} 30") !=
        std::string::npos);
}

TEST_CASE("csv source: a file is processed once, dropped again or after a restart") {
  TestHttpServer server(backend);
  TempConfig config;
  DropFolder drop(config);
  config.write("conf/tenants/bari.yaml", tenantFile(server.url("/versamenti"), ""));
  {
    SourceHarness bus(config);
    bus.start();
    dropFile(drop.root / "versamenti.csv", kFile);
    REQUIRE(waitUntil([&] { return fs::exists(drop.done() / "versamenti.csv"); }));
    CHECK(server.requestCount() == 3);
    // The same name and content again: recognised, moved aside, not sent again.
    dropFile(drop.root / "versamenti.csv", kFile);
    REQUIRE(waitUntil([&] { return !fs::exists(drop.root / "versamenti.csv"); }));
    CHECK(server.requestCount() == 3);
  }
  SourceHarness restarted(config);
  restarted.start();
  dropFile(drop.root / "versamenti.csv", kFile);
  REQUIRE(waitUntil([&] { return !fs::exists(drop.root / "versamenti.csv"); }));
  CHECK(server.requestCount() == 3);
  std::size_t copies = 0;
  for (const auto& entry : fs::directory_iterator(drop.done())) {
    const auto name = entry.path().filename().string();
    copies += name.starts_with("versamenti.csv") && name.find("outcomes") == std::string::npos &&
              name.find("rejects") == std::string::npos;
  }
  CHECK(copies == 3);
  // Different content under the same name is a new file.
  dropFile(drop.root / "versamenti.csv", "codice_fiscale;importo;anno\nRSSMRA80A01A662A;1;2025\n");
  REQUIRE(waitUntil([&] { return !fs::exists(drop.root / "versamenti.csv"); }));
  CHECK(waitUntil([&] { return server.requestCount() == 4; }));
}

TEST_CASE("csv source: a reload or a restart mid-file resumes it; no row twice, none lost") {
  std::mutex mutex;
  std::map<std::string, int> received;  // row number -> times
  TestHttpServer server([&](const TestHttpRequest& request) {
    {
      std::lock_guard lock(mutex);
      ++received[rowNumberOf(request.body)];
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a slow back-end
    return TestHttpResponse{200, "application/json", "{}"};
  });
  TempConfig config;
  DropFolder drop(config);
  config.write("conf/tenants/bari.yaml",
               tenantFile(server.url("/versamenti"), "    concurrency: 2\n"));
  core::setLogSink(captureLog);
  std::string text = "codice_fiscale;importo;anno\n";
  constexpr int kRows = 300;
  for (int i = 1; i <= kRows; ++i) text += "RSSMRA80A01A662A;" + std::to_string(i) + ";2024\n";
  {
    SourceHarness bus(config);
    bus.start();
    dropFile(drop.root / "grande.csv", text);
    REQUIRE(waitUntil([&] { return server.requestCount() >= 40; }));
    bus.reload();  // the new generation's source takes the file over
    REQUIRE(waitUntil([&] { return server.requestCount() >= 120; }));
  }  // the process stops mid-file
  CHECK_FALSE(fs::exists(drop.done() / "grande.csv"));
  SourceHarness restarted(config);
  restarted.start();
  REQUIRE(waitUntil([&] { return fs::exists(drop.done() / "grande.csv"); }));
  core::setLogSink(nullptr);

  std::lock_guard lock(mutex);
  CHECK(received.size() == kRows);
  for (const auto& [row, times] : received) {
    CAPTURE(row);
    CHECK(times == 1);
  }
  const std::string outcomes = readFile(drop.done() / "grande.csv.outcomes.csv");
  std::size_t lines = 0;
  for (char c : outcomes) lines += c == '\n';
  CHECK(lines == kRows + 1);
  CHECK(outcomes.find("rejected") == std::string::npos);
  // Resumed twice: by the reloaded generation, then by the restarted process.
  const std::string log = logged();
  std::size_t resumed = 0;
  for (auto at = log.find("batch file resumed"); at != std::string::npos;
       at = log.find("batch file resumed", at + 1)) {
    ++resumed;
  }
  CHECK(resumed == 2);
}

TEST_CASE("csv source: a malformed file goes to error/ after the rows before the error") {
  TestHttpServer server(backend);
  TempConfig config;
  DropFolder drop(config);
  config.write("conf/tenants/bari.yaml", tenantFile(server.url("/versamenti"), ""));
  SourceHarness bus(config);
  bus.start();
  dropFile(drop.root / "rotto.csv",
           "codice_fiscale;importo;anno\n"
           "RSSMRA80A01A662A;1;2024\n"
           "VRDGPP80A01A662B;\"2;2024\n");
  REQUIRE(waitUntil([&] { return fs::exists(drop.error() / "rotto.csv"); }));
  CHECK(server.requestCount() == 1);
  CHECK(readFile(drop.error() / "rotto.csv.outcomes.csv").find("1;2;ok;") != std::string::npos);
  auto batches = bus.await(bus.journal().listBatches("072006", 10));
  REQUIRE(batches);
  REQUIRE(batches->size() == 1);
  CHECK(batches->front().state == core::BatchState::failed);
  CHECK(batches->front().detail.find("line 3") != std::string::npos);

  // A file without a header row, or with a byte the charset does not have.
  dropFile(drop.root / "vuoto.csv", "");
  REQUIRE(waitUntil([&] { return fs::exists(drop.error() / "vuoto.csv"); }));
  dropFile(drop.root / "charset.csv", "codice_fiscale;importo;anno\nRSS\xff;1;2024\n");
  REQUIRE(waitUntil([&] { return fs::exists(drop.error() / "charset.csv"); }));
  CHECK(server.requestCount() == 1);
}

TEST_CASE("csv source: with a marker, a file is taken only once its marker exists") {
  TestHttpServer server(backend);
  TempConfig config;
  DropFolder drop(config);
  config.write("conf/tenants/bari.yaml",
               tenantFile(server.url("/versamenti"), "    marker: .ok\n"));
  SourceHarness bus(config);
  bus.start();
  dropFile(drop.root / "versamenti.csv", kFile);
  // Many scans go by (interval 20ms) without the file being touched.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(server.requestCount() == 0);
  CHECK(fs::exists(drop.root / "versamenti.csv"));
  dropFile(drop.root / "versamenti.csv.ok", "");
  REQUIRE(waitUntil([&] { return fs::exists(drop.done() / "versamenti.csv"); }));
  CHECK(server.requestCount() == 3);
  CHECK(waitUntil([&] { return !fs::exists(drop.root / "versamenti.csv.ok"); }));
}

TEST_CASE("csv source: one-way rows are journaled, delivered, and tracked through /api/v1") {
  TestHttpServer server(backend);
  TempConfig config;
  DropFolder drop(config);
  config.write("conf/tenants/bari.yaml",
               tenantFile(server.url("/versamenti"), "", "    mode: one-way\n"));
  SourceHarness bus(config);
  bus.start();
  dropFile(drop.root / "versamenti.csv",
           "codice_fiscale;importo;anno\n"
           "RSSMRA80A01A662A;1;2024\n"
           "VRDGPP80A01A662B;2;2024\n");
  REQUIRE(waitUntil([&] { return fs::exists(drop.done() / "versamenti.csv"); }));
  const std::string outcomes = readFile(drop.done() / "versamenti.csv.outcomes.csv");
  CAPTURE(outcomes);
  std::vector<std::string> ids;
  for (auto at = outcomes.find(";queued;"); at != std::string::npos;
       at = outcomes.find(";queued;", at + 1)) {
    ids.push_back(outcomes.substr(at + 8, 36));
  }
  REQUIRE(ids.size() == 2);
  REQUIRE(waitUntil([&] { return server.requestCount() == 2; }));
  for (const auto& id : ids) {
    CAPTURE(id);
    std::string body;
    REQUIRE(waitUntil([&] {
      body = bus.get("/api/v1/bari/exchanges/" + id).body();
      return body.find("\"state\":\"delivered\"") != std::string::npos;
    }));
    CHECK(body.find("\"service\":\"tari.versamento\"") != std::string::npos);
  }
  // Each delivery carried the exchange id, for the back-end to deduplicate.
  for (const auto& request : server.requests()) {
    CHECK(std::find(ids.begin(), ids.end(), request.header("X-Egov-Exchange-Id")) != ids.end());
  }
}

TEST_CASE("csv source config: a good config builds; unknown, missing and wrong keys are rejected") {
  TempConfig config;
  DropFolder drop(config);
  config.write("conf/tenants/bari.yaml", tenantFile("http://127.0.0.1:9/x",
                                                    "    charset: windows-1252\n"
                                                    "    concurrency: 16\n"));
  auto generation = config.load();
  REQUIRE_MESSAGE(generation, config.errorText());
  const auto& tenant = *generation->tenants.front();
  REQUIRE(tenant.sources.count("versamenti") == 1);
  CHECK(tenant.sources.at("versamenti")->name() == "bari/versamenti");
  CHECK(tenant.sources.at("versamenti")->service() == "tari.versamento");
  CHECK(fs::is_directory(drop.done()));
  CHECK(fs::is_directory(drop.error()));

  const std::pair<const char*, const char*> cases[] = {
      {"    colour: red\n", "conf/tenants/bari.yaml:15:5: sources.versamenti.colour: unknown key"},
      {"    concurrency: many\n", "conf/tenants/bari.yaml:15:18: sources.versamenti.concurrency: "},
      {"    concurrency: 0\n", "conf/tenants/bari.yaml:15:18: sources.versamenti.concurrency: "},
      {"    charset: ebcdic\n",
       "conf/tenants/bari.yaml:15:14: sources.versamenti.charset: unknown charset ebcdic"},
      {"    marker: ok\n", "sources.versamenti.marker: expected a file name suffix such as .ok"},
      {"    pattern: a/b\n", "sources.versamenti.pattern: expected a file name pattern"},
  };
  for (const auto& [extra, message] : cases) {
    CAPTURE(extra);
    TempConfig bad;
    DropFolder bad_drop(bad);
    bad.write("conf/tenants/bari.yaml", tenantFile("http://127.0.0.1:9/x", extra));
    CHECK_FALSE(bad.load());
    CHECK(bad.errorText().find(message) != std::string::npos);
    CAPTURE(bad.errorText());
  }
  // Missing folder key, a folder that does not exist, an unknown service and source type.
  TempConfig bad;
  DropFolder bad_drop(bad);
  bad.write("conf/tenants/bari.yaml",
            "tenant: { istat: \"072006\", slug: bari, name: Bari }\n"
            "endpoints: { e: { type: memory } }\n"
            "routes: [ { service: a.b, steps: [ { call: e } ] } ]\n"
            "sources:\n"
            "  uno: { type: csv, service: a.b }\n"
            "  due: { type: csv, service: a.b, folder: /nonexistent/drop }\n"
            "  tre: { type: csv, service: x.y, folder: ../../drop }\n"
            "  quattro: { type: ftp, service: a.b }\n"
            "  cinque: { type: csv, folder: ../../drop }\n");
  CHECK_FALSE(bad.load());
  const std::string text = bad.errorText();
  CAPTURE(text);
  CHECK(text.find("conf/tenants/bari.yaml:5:") != std::string::npos);
  CHECK(text.find("sources.uno.folder: missing key") != std::string::npos);
  CHECK(text.find("conf/tenants/bari.yaml:6:") != std::string::npos);
  CHECK(text.find("sources.due.folder: not a folder: /nonexistent/drop") != std::string::npos);
  CHECK(text.find("sources.tre.service: tenant bari has no route for x.y") != std::string::npos);
  CHECK(text.find("sources.quattro.type: unknown source type ftp (known: csv") !=
        std::string::npos);
  CHECK(text.find("sources.cinque.service: missing key") != std::string::npos);
}
