// Structured JSON log lines on stderr, one per event. Every string value is passed through
// maskFiscalCodes, so a citizen's codice fiscale never reaches a log.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace egov::core {

enum class LogLevel { debug, info, warn, error };

using LogValue = std::variant<std::string_view, std::int64_t, double, bool>;
using LogField = std::pair<std::string_view, LogValue>;

void logEvent(LogLevel level, std::string_view message,
              std::initializer_list<LogField> fields = {});

void setLogLevel(LogLevel level);

// While a LogWriter lives (egovbus serve), debug and info lines are appended to a buffer that
// a thread of its own writes to stderr: woken by a line into the empty buffer, it waits 5 ms
// and writes what came in one write(). The thread that logs an exchange makes no system call
// and takes no lock another I/O thread holds for a write. warn and error lines are written by the
// caller, after the lines queued before them (order kept), so a warning is on stderr before the
// call that logged it returns. When stderr does not drain (a stalled log pipe) and
// `max_pending_bytes` are waiting, further debug and info lines are dropped rather than block the
// I/O threads; a warn line "log lines dropped" with their count follows once stderr takes lines
// again. Destroying the writer writes what is queued and joins its thread. One at a time.
class LogWriter {
 public:
  explicit LogWriter(int fd = 2, std::size_t max_pending_bytes = 8 << 20);
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;
};
// Where lines go; stderr by default. Tests capture with a string sink.
void setLogSink(void (*sink)(std::string_view line));

// A log line's "ts": UTC to the millisecond, "2024-02-29T07:05:09.045Z".
std::string logTimestamp(std::chrono::system_clock::time_point when);

// Replaces every Italian personal fiscal code (16 characters, omocodic forms included) with
// its first 3 and last character: "RSSMRA80A01A662X" -> "RSS************X".
std::string maskFiscalCodes(std::string_view text);

}  // namespace egov::core
