// Batch progress on the command line: the bar, the plain line, and `egovbus batches --watch`
// following a running batch to its end (core/cli/batches_command.cpp).
#include <doctest/doctest.h>

#include <cstdio>
#include <thread>

#include "core/cli/batch_progress.hpp"
#include "core/cli/commands.hpp"
#include "core/journal/sqlite_journal.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;

namespace {

core::BatchFile batch(std::int64_t done, std::int64_t total, std::int64_t failed) {
  core::BatchFile b;
  b.id = "b-1";
  b.source = "bari/tari";
  b.file_name = "tari.csv";
  b.rows_done = done;
  b.rows_total = total;
  b.rows_failed = failed;
  b.started_ms = 1'000'000;
  b.updated_ms = 1'004'000;
  return b;
}

std::string readAll(std::FILE* file) {
  std::rewind(file);
  std::string text;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) text.append(buffer, n);
  return text;
}

}  // namespace

TEST_CASE("batch progress: the bar, the plain line and the rate") {
  CHECK(core::renderProgressBar(batch(5000, 10000, 3), 1234.4) ==
        "[###############---------------]  50.0%  5000/10000 rows  1234 rows/s  3 rejected  "
        "tari.csv (bari/tari)");
  CHECK(core::renderProgressBar(batch(0, -1, 0), 0, 10) ==
        "[----------]     ?  0/? rows  0 rows/s  tari.csv (bari/tari)");
  auto done = batch(10000, 10000, 0);
  done.state = core::BatchState::done;
  CHECK(core::renderProgressBar(done, 2500, 4) ==
        "[####] 100.0%  10000/10000 rows  2500 rows/s  done  tari.csv (bari/tari)");
  CHECK(core::progressLine(batch(5000, 10000, 3), 1234.4) ==
        "bari/tari tari.csv: running 5000/10000 rows (50.0%), 1234 rows/s, 3 rejected");
  done.detail = "done/tari.csv";
  CHECK(core::progressLine(done, 2500) ==
        "bari/tari tari.csv: done 10000/10000 rows (100.0%), 2500 rows/s, 0 rejected, "
        "done/tari.csv");
  // From the start (4 s for 5000 rows), then between two readings.
  CHECK(core::rowsPerSecond({}, batch(5000, 10000, 0)) == doctest::Approx(1250));
  auto later = batch(7000, 10000, 0);
  later.updated_ms += 1000;
  CHECK(core::rowsPerSecond(batch(5000, 10000, 0), later) == doctest::Approx(2000));
}

TEST_CASE("egovbus batches --watch: plain lines off a terminal, until the batch is done") {
  test::TempConfig config;
  config.write("conf/bus.yaml", "listen: 127.0.0.1:0\njournal: { path: ../var/journal.db }\n");
  auto opened = core::SqliteJournal::open(config.root() / "var/journal.db");
  REQUIRE(opened);
  auto& journal = **opened;
  auto file = batch(0, -1, 0);
  file.tenant_istat = "072006";
  file.content_hash = "h";
  REQUIRE(test::runCoroutine(journal.beginBatch(file)));
  REQUIRE(test::runCoroutine(journal.updateBatch("b-1", 400, 1, 1000)));

  std::FILE* out = std::tmpfile();
  REQUIRE(out);
  core::BatchesOptions options;
  options.config = (config.root() / "conf/bus.yaml").string();
  options.watch = true;
  options.interval = std::chrono::milliseconds(20);
  int status = -1;
  std::thread watcher([&] { status = core::batchesCommand(options, out, false); });
  // The source goes on and finishes; the watcher returns only once the batch is done.
  REQUIRE(test::runCoroutine(journal.updateBatch("b-1", 800, 1, 1000)));
  REQUIRE(test::runCoroutine(journal.updateBatch("b-1", 1000, 1, 1000)));
  REQUIRE(test::runCoroutine(journal.finishBatch("b-1", core::BatchState::done, "done/")));
  watcher.join();
  CHECK(status == 0);
  const auto text = readAll(out);
  std::fclose(out);
  CHECK(text.find("\x1b") == std::string::npos);  // no terminal control off a terminal
  REQUIRE(text.size() > 1);
  const auto last = text.substr(text.rfind('\n', text.size() - 2) + 1);
  CHECK(last.starts_with("bari/tari tari.csv: done 1000/1000 rows (100.0%), "));
  CHECK(last.find("1 rejected, done/") != std::string::npos);
  // Every line is one reading; no reading repeats the one before it.
  std::vector<std::string> lines;
  for (std::size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
    lines.push_back(text.substr(at, nl - at));
  for (std::size_t i = 1; i < lines.size(); ++i) CHECK(lines[i] != lines[i - 1]);

  // On a terminal: bars, each drawn over a cleared line.
  std::FILE* tty = std::tmpfile();
  options.watch = false;
  CHECK(core::batchesCommand(options, tty, true) == 0);
  const auto drawn = readAll(tty);
  std::fclose(tty);
  CHECK(drawn.starts_with("\x1b[2K[##############################] 100.0%  1000/1000 rows"));
}

TEST_CASE("egovbus batches: no journal batches, and a broken config") {
  test::TempConfig config;
  config.write("conf/bus.yaml", "listen: 127.0.0.1:0\n");
  std::FILE* out = std::tmpfile();
  core::BatchesOptions options;
  options.config = (config.root() / "conf/bus.yaml").string();
  CHECK(core::batchesCommand(options, out, false) == 0);
  CHECK(readAll(out) == "no batch files\n");
  std::fclose(out);
  config.write("conf/bus.yaml", "listen: 127.0.0.1:0\njournal: { driver: oracle }\n");
  std::FILE* none = std::tmpfile();
  CHECK(core::batchesCommand(options, none, false) == 1);
  std::fclose(none);
}
