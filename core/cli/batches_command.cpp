// egovbus batches [--tenant ISTAT] [--watch]: the batch files (CSV drops) the journal knows,
// read beside a running bus like `egovbus dlq`. With --watch it follows the running ones until
// none is left: a bar with rows/s redrawn in place on a terminal, a plain line per change
// otherwise.
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <thread>

#include "core/cli/batch_progress.hpp"
#include "core/cli/commands.hpp"
#include "core/cli/journal_beside.hpp"

namespace egov::core {
namespace {

struct Reading {
  BatchFile batch;
  double rate = 0;
};

}  // namespace

int batchesCommand(const BatchesOptions& options, std::FILE* out, bool terminal) {
  auto journal = openJournalBeside(options.config);
  if (!journal) return 1;
  std::map<std::string, Reading> seen;  // by batch id
  int drawn = 0;                        // terminal: lines of the previous frame
  for (;;) {
    auto listed = waitFor(journal->listBatches(options.tenant, options.limit));
    if (!listed) {
      std::fprintf(stderr, "egovbus: %s\n", listed.error().message.c_str());
      return 1;
    }
    bool running = false;
    std::vector<std::string> frame;
    for (auto it = listed->rbegin(); it != listed->rend(); ++it) {  // oldest first
      const auto& batch = *it;
      running = running || batch.state == BatchState::running;
      auto previous = seen.find(batch.id);
      Reading reading{batch, rowsPerSecond(BatchFile{}, batch)};
      if (previous != seen.end()) {
        // Progress is recorded about once a second: between two records keep the last rate.
        reading.rate = batch.updated_ms == previous->second.batch.updated_ms
                           ? previous->second.rate
                           : rowsPerSecond(previous->second.batch, batch);
      }
      const bool changed = previous == seen.end() ||
                           previous->second.batch.rows_done != batch.rows_done ||
                           previous->second.batch.state != batch.state ||
                           previous->second.batch.rows_total != batch.rows_total;
      if (terminal) {
        frame.push_back(renderProgressBar(batch, reading.rate));
      } else if (changed) {
        frame.push_back(progressLine(batch, reading.rate));
      }
      seen[batch.id] = reading;
    }
    if (terminal) {
      // Move up over the previous frame and redraw it in place.
      if (drawn > 0) std::fprintf(out, "\x1b[%dA", drawn);
      for (const auto& line : frame) std::fprintf(out, "\x1b[2K%s\n", line.c_str());
      drawn = static_cast<int>(frame.size());
    } else {
      for (const auto& line : frame) std::fprintf(out, "%s\n", line.c_str());
    }
    if (listed->empty()) std::fprintf(out, "no batch files\n");
    std::fflush(out);
    if (!options.watch || !running) return 0;
    std::this_thread::sleep_for(options.interval);
  }
}

}  // namespace egov::core
