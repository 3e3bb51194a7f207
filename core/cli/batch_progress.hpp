// Progress of batch files (CSV drops) for the command line: a bar with rows/s redrawn in
// place on a terminal, plain lines otherwise (logs, pipes, CI).
#pragma once

#include <string>

#include "core/journal/journal.hpp"

namespace egov::core {

// "[##########----------]  50.0%  5000/10000 rows  1234 rows/s  3 rejected  tari.csv (bari/tari)"
// `width` is the bar's inner width. A batch whose total is not known yet shows "?" and an
// empty bar.
std::string renderProgressBar(const BatchFile& batch, double rows_per_second, int width = 30);

// "bari/tari tari.csv: running 5000/10000 rows (50.0%), 1234 rows/s, 3 rejected"
std::string progressLine(const BatchFile& batch, double rows_per_second);

// Rows per second between two readings of the same batch; from its start when there is no
// earlier reading (earlier.id empty).
double rowsPerSecond(const BatchFile& earlier, const BatchFile& now);

}  // namespace egov::core
