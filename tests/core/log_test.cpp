#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <string>
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
