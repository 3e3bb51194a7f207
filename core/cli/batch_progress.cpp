#include "core/cli/batch_progress.hpp"

#include <algorithm>
#include <cstdio>

namespace egov::core {
namespace {

std::string format(const char* pattern, auto... values) {
  char text[256];
  std::snprintf(text, sizeof text, pattern, values...);
  return text;
}

std::string counts(const BatchFile& b) {
  return std::to_string(b.rows_done) + "/" +
         (b.rows_total >= 0 ? std::to_string(b.rows_total) : std::string("?")) + " rows";
}

// Fraction done, or a negative number when the total is not known.
double fraction(const BatchFile& b) {
  if (b.rows_total < 0) return b.state == BatchState::running ? -1 : 1;
  if (b.rows_total == 0) return 1;
  return std::clamp(static_cast<double>(b.rows_done) / static_cast<double>(b.rows_total), 0.0, 1.0);
}

}  // namespace

std::string renderProgressBar(const BatchFile& batch, double rows_per_second, int width) {
  const double f = fraction(batch);
  const int filled = f < 0 ? 0 : static_cast<int>(f * width + 0.5);
  std::string bar = "[" + std::string(static_cast<std::size_t>(filled), '#') +
                    std::string(static_cast<std::size_t>(width - filled), '-') + "] ";
  bar += f < 0 ? std::string("    ?") : format("%5.1f%%", f * 100);
  bar += "  " + counts(batch) + format("  %.0f rows/s", rows_per_second);
  if (batch.rows_failed > 0) bar += "  " + std::to_string(batch.rows_failed) + " rejected";
  if (batch.state != BatchState::running) bar += "  " + std::string(batchStateName(batch.state));
  return bar + "  " + batch.file_name + " (" + batch.source + ")";
}

std::string progressLine(const BatchFile& batch, double rows_per_second) {
  const double f = fraction(batch);
  std::string line = batch.source + " " + batch.file_name + ": " +
                     std::string(batchStateName(batch.state)) + " " + counts(batch);
  if (f >= 0) line += format(" (%.1f%%)", f * 100);
  line += format(", %.0f rows/s", rows_per_second);
  line += ", " + std::to_string(batch.rows_failed) + " rejected";
  if (!batch.detail.empty() && batch.state != BatchState::running) line += ", " + batch.detail;
  return line;
}

double rowsPerSecond(const BatchFile& earlier, const BatchFile& now) {
  const bool same = !earlier.id.empty() && earlier.id == now.id;
  const auto rows = now.rows_done - (same ? earlier.rows_done : 0);
  const auto ms = now.updated_ms - (same ? earlier.updated_ms : now.started_ms);
  if (ms <= 0) return 0;
  return static_cast<double>(rows) * 1000.0 / static_cast<double>(ms);
}

}  // namespace egov::core
