#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/log/log.hpp"
#include "core/metrics/metrics.hpp"

using namespace egov::core;

namespace {
std::vector<std::string> g_lines;
void capture(std::string_view line) {
  g_lines.emplace_back(line);
}
void discard(std::string_view) {}
}  // namespace

TEST_CASE("log: fiscal codes are masked, omocodic and lower-case ones too") {
  CHECK(maskFiscalCodes("cf=RSSMRA80A01A662A;") == "cf=RSS************A;");
  CHECK(maskFiscalCodes("RSSMRA80A01A66NA and rssmra80a01a662a") ==
        "RSS************A and rss************a");
  CHECK(maskFiscalCodes("/posizioni/RSSMRA80A01A662A?anno=2025") ==
        "/posizioni/RSS************A?anno=2025");
  // Not a fiscal code: wrong shape, or part of a longer token.
  CHECK(maskFiscalCodes("80015010723") == "80015010723");
  CHECK(maskFiscalCodes("XRSSMRA80A01A662A") == "XRSSMRA80A01A662A");
  CHECK(maskFiscalCodes("ABCDEFGHIJKLMNOP") == "ABCDEFGHIJKLMNOP");
}

TEST_CASE("log: a line is one JSON object with every field, and no fiscal code") {
  g_lines.clear();
  setLogSink(capture);
  logEvent(LogLevel::warn, "exchange for RSSMRA80A01A662A",
           {{"tenant", std::string_view("bari")},
            {"status", std::int64_t{502}},
            {"error", std::string_view("bari/tributi: GET /posizioni/RSSMRA80A01A662A failed")},
            {"ok", false}});
  setLogLevel(LogLevel::error);
  logEvent(LogLevel::info, "dropped below the level");
  setLogLevel(LogLevel::info);
  setLogSink(discard);
  REQUIRE(g_lines.size() == 1);
  CHECK(g_lines[0].find("RSSMRA80A01A662A") == std::string::npos);
  rapidjson::Document doc;
  doc.Parse(g_lines[0].c_str());
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(std::string(doc["level"].GetString()) == "warn");
  CHECK(std::string(doc["msg"].GetString()) == "exchange for RSS************A");
  CHECK(std::string(doc["tenant"].GetString()) == "bari");
  CHECK(doc["status"].GetInt64() == 502);
  CHECK(doc["ok"].IsFalse());
  CHECK(std::string(doc["ts"].GetString()).size() == 24);
}

TEST_CASE("log: the timestamp is UTC to the millisecond") {
  using namespace std::chrono;
  // 2024-02-29T07:05:09.045Z (a leap day), and the last millisecond of 2026.
  const sys_time<milliseconds> leap{milliseconds{1709190309045}};
  CHECK(logTimestamp(leap) == "2024-02-29T07:05:09.045Z");
  const sys_time<milliseconds> last{milliseconds{1798761599999}};
  CHECK(logTimestamp(last) == "2026-12-31T23:59:59.999Z");
  CHECK(logTimestamp(sys_time<milliseconds>{milliseconds{0}}) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("metrics: counters, gauges and histograms in Prometheus text format") {
  Metrics metrics;
  metrics.declareCounter("egov_test_total", "A test counter.");
  metrics.declareGauge("egov_test_gauge", "A test gauge.");
  metrics.declareHistogram("egov_test_seconds", "A test histogram.");
  metrics.add("egov_test_total", {{"tenant", "bari"}, {"note", "a \"quoted\"\nvalue"}});
  metrics.add("egov_test_total", {{"tenant", "bari"}, {"note", "a \"quoted\"\nvalue"}}, 2);
  metrics.add("egov_undeclared_total", {});
  metrics.set("egov_test_gauge", {}, 7);
  metrics.observe("egov_test_seconds", {{"endpoint", "bari/x"}}, 0.003);
  metrics.observe("egov_test_seconds", {{"endpoint", "bari/x"}}, 20);
  const auto text = metrics.render();
  CHECK(text.find("# TYPE egov_test_total counter\n") != std::string::npos);
  CHECK(text.find("egov_test_total{tenant=\"bari\",note=\"a \\\"quoted\\\"\\nvalue\"} 3\n") !=
        std::string::npos);
  CHECK(text.find("egov_test_gauge 7\n") != std::string::npos);
  CHECK(text.find("egov_test_seconds_bucket{endpoint=\"bari/x\",le=\"0.0025\"} 0\n") !=
        std::string::npos);
  CHECK(text.find("egov_test_seconds_bucket{endpoint=\"bari/x\",le=\"0.005\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("egov_test_seconds_bucket{endpoint=\"bari/x\",le=\"+Inf\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("egov_test_seconds_count{endpoint=\"bari/x\"} 2\n") != std::string::npos);
  CHECK(text.find("egov_undeclared_total") == std::string::npos);
}

namespace {

// Lines written to a descriptor while a LogWriter lives; the sink (set by the test main to
// discard) is lifted for the test and put back.
struct WriterFixture {
  WriterFixture() {
    setLogSink(nullptr);
    setLogLevel(LogLevel::info);
  }
  ~WriterFixture() { setLogSink(discard); }
};

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE(
    "log writer: info lines from four threads all written whole and in order; a warning "
    "after the lines queued before it") {
  WriterFixture fixture;
  const auto path = std::filesystem::temp_directory_path() /
                    ("egov-log-writer-" + std::to_string(::getpid()) + ".log");
  const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
  REQUIRE(fd >= 0);
  constexpr int kThreads = 4;
  constexpr int kEach = 500;
  {
    LogWriter writer(fd);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([t] {
        for (int i = 0; i < kEach; ++i) {
          logEvent(LogLevel::info, "exchange",
                   {{"thread", std::int64_t{t}}, {"seq", std::int64_t{i}}});
        }
      });
    }
    for (auto& thread : threads) thread.join();
    logEvent(LogLevel::warn, "after the exchanges");
    logEvent(LogLevel::debug, "below the level");
  }
  ::close(fd);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::filesystem::remove(path);
  const auto lines = splitLines(text.str());
  REQUIRE(lines.size() == std::size_t{kThreads * kEach + 1});
  std::vector<std::int64_t> next(kThreads, 0);
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    rapidjson::Document doc;
    doc.Parse(lines[i].c_str());
    REQUIRE_FALSE(doc.HasParseError());
    CHECK(std::string(doc["level"].GetString()) == "info");
    const auto t = doc["thread"].GetInt64();
    CHECK(doc["seq"].GetInt64() == next[static_cast<std::size_t>(t)]++);
  }
  for (auto seen : next) CHECK(seen == kEach);
  CHECK(lines.back().find("\"msg\":\"after the exchanges\"") != std::string::npos);
}

TEST_CASE(
    "log writer: when the descriptor does not drain, info lines are dropped instead of "
    "waited for, and their count is logged once it drains") {
  WriterFixture fixture;
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  constexpr int kLines = 3000;  // ~110 bytes each: far more than the pipe (64 KB) holds
  std::string received;
  std::thread reader;
  {
    LogWriter writer(pipe_fds[1], 4096);
    // Nobody reads yet: the writer thread blocks on the full pipe, 4 KB wait in the queue,
    // the rest is dropped. Every call returns (one that blocked would hang the test here).
    for (int i = 0; i < kLines; ++i) {
      logEvent(LogLevel::info, "exchange", {{"seq", std::int64_t{i}}});
    }
    reader = std::thread([&received, fd = pipe_fds[0]] {
      char chunk[4096];
      for (ssize_t n; (n = ::read(fd, chunk, sizeof chunk)) > 0;) {
        received.append(chunk, static_cast<std::size_t>(n));
      }
    });
  }  // the writer writes the queue and the count of the dropped lines, then ends
  ::close(pipe_fds[1]);
  reader.join();
  ::close(pipe_fds[0]);
  std::int64_t written = 0;
  std::int64_t dropped = 0;
  std::int64_t last_seq = -1;
  for (const auto& line : splitLines(received)) {
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    REQUIRE_FALSE(doc.HasParseError());
    if (std::string(doc["msg"].GetString()) == "log lines dropped") {
      CHECK(std::string(doc["level"].GetString()) == "warn");
      dropped += doc["count"].GetInt64();
      continue;
    }
    CHECK(doc["seq"].GetInt64() > last_seq);
    last_seq = doc["seq"].GetInt64();
    ++written;
  }
  CHECK(dropped > 0);
  CHECK(written > 0);
  CHECK(written + dropped == kLines);
}
