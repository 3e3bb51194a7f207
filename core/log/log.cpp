#include "core/log/log.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "core/common/thread_name.hpp"

namespace egov::core {
namespace {

std::atomic<LogLevel> g_level{LogLevel::info};
std::atomic<void (*)(std::string_view)> g_sink{nullptr};

// Writes all of `bytes` (a partial write or EINTR retried); gives up on any other error, as
// there is nowhere left to report it.
void writeAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

const char* levelName(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "info";
}

bool isUpper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool isLower(char c) {
  return c >= 'a' && c <= 'z';
}
// Digit positions of a fiscal code may hold omocodia letters L M N P Q R S T U V.
bool isDigitLike(char c) {
  return (c >= '0' && c <= '9') ||
         std::string_view("LMNPQRSTUVlmnpqrstuv").find(c) != std::string_view::npos;
}
bool isAlnum(char c) {
  return isUpper(c) || isLower(c) || (c >= '0' && c <= '9');
}

// Shape AAAAAA99A99A999A, case-insensitive.
bool looksLikeFiscalCode(std::string_view s) {
  static constexpr const char* kShape = "LLLLLLDDLDDLDDDL";
  for (std::size_t i = 0; i < 16; ++i) {
    const char c = s[i];
    if (kShape[i] == 'L' ? !(isUpper(c) || isLower(c)) : !isDigitLike(c)) return false;
  }
  return true;
}

}  // namespace

std::string maskFiscalCodes(std::string_view text) {
  std::string out(text);
  for (std::size_t i = 0; i + 16 <= out.size();) {
    const bool boundary_before = i == 0 || !isAlnum(out[i - 1]);
    const bool boundary_after = i + 16 == out.size() || !isAlnum(out[i + 16]);
    if (boundary_before && boundary_after &&
        looksLikeFiscalCode(std::string_view(out).substr(i, 16))) {
      for (std::size_t j = i + 3; j < i + 15; ++j) out[j] = '*';
      i += 16;
    } else {
      ++i;
    }
  }
  return out;
}

void setLogLevel(LogLevel level) {
  g_level = level;
}
void setLogSink(void (*sink)(std::string_view)) {
  g_sink = sink;
}

std::string logTimestamp(std::chrono::system_clock::time_point when) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  // Digits written in place: snprintf was a third of the cost of a log line.
  std::string out = "0000-00-00T00:00:00.000Z";
  auto put = [&out](std::size_t at, int value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) {
      out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
    }
  };
  put(0, utc.tm_year + 1900, 4);
  put(5, utc.tm_mon + 1, 2);
  put(8, utc.tm_mday, 2);
  put(11, utc.tm_hour, 2);
  put(14, utc.tm_min, 2);
  put(17, utc.tm_sec, 2);
  put(20, static_cast<int>((ms % 1000 + 1000) % 1000), 3);
  return out;
}

namespace {

// One line: a JSON object without the line break.
std::string formatLine(LogLevel level, std::string_view message,
                       std::initializer_list<LogField> fields) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();

  const auto ts = logTimestamp(std::chrono::system_clock::now());
  writer.Key("ts");
  writer.String(ts.c_str(), static_cast<rapidjson::SizeType>(ts.size()));
  writer.Key("level");
  writer.String(levelName(level));
  writer.Key("msg");
  const auto masked_message = maskFiscalCodes(message);
  writer.String(masked_message.c_str(), static_cast<rapidjson::SizeType>(masked_message.size()));
  for (const auto& [key, value] : fields) {
    writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    if (const auto* s = std::get_if<std::string_view>(&value)) {
      const auto masked = maskFiscalCodes(*s);
      writer.String(masked.c_str(), static_cast<rapidjson::SizeType>(masked.size()));
    } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
      writer.Int64(*i);
    } else if (const auto* d = std::get_if<double>(&value)) {
      writer.Double(*d);
    } else {
      writer.Bool(std::get<bool>(value));
    }
  }
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string droppedLine(std::uint64_t count) {
  return formatLine(
             LogLevel::warn, "log lines dropped",
             {{"count", static_cast<std::int64_t>(count)},
              {"reason", std::string_view("stderr did not take lines as fast as they came")}}) +
         '\n';
}

// Lines go to `fd` (stderr) in the order they were logged: `write_mutex` is held by whoever
// writes to the descriptor, and taken before the queue is emptied.
struct Output {
  std::mutex write_mutex;
  std::mutex queue_mutex;
  std::condition_variable wake;
  std::string queued;  // complete lines, each ending in '\n'
  bool async = false;  // a LogWriter's thread is running
  bool stopping = false;
  int fd = 2;
  std::size_t max_pending = 0;
  std::uint64_t dropped = 0;  // lines dropped since the last report
};
Output g_out;

// Takes the queue (with write_mutex held, queue_lock released here) and writes it, then the
// report of dropped lines, then `line` when there is one.
void writeQueued(std::unique_lock<std::mutex>& queue_lock, std::string_view line = {}) {
  std::string lines;
  lines.swap(g_out.queued);
  const std::uint64_t dropped = std::exchange(g_out.dropped, 0);
  const int fd = g_out.fd;
  queue_lock.unlock();
  if (dropped > 0) lines += droppedLine(dropped);
  if (!line.empty()) lines.append(line).push_back('\n');
  writeAll(fd, lines);
}

std::thread g_writer_thread;
constexpr auto kGatherWindow = std::chrono::milliseconds(5);

}  // namespace

void logEvent(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (level < g_level.load(std::memory_order_relaxed)) return;
  const std::string line = formatLine(level, message, fields);
  if (auto sink = g_sink.load()) return sink(line);
  {
    std::unique_lock queue_lock(g_out.queue_mutex);
    if (g_out.async && level < LogLevel::warn) {
      if (g_out.queued.size() >= g_out.max_pending) {
        ++g_out.dropped;
        return;
      }
      const bool was_empty = g_out.queued.empty();
      g_out.queued.append(line).push_back('\n');
      queue_lock.unlock();
      if (was_empty) g_out.wake.notify_one();
      return;
    }
  }
  // Written here, after whatever was queued before it.
  std::lock_guard write_lock(g_out.write_mutex);
  std::unique_lock queue_lock(g_out.queue_mutex);
  writeQueued(queue_lock, line);
}

LogWriter::LogWriter(int fd, std::size_t max_pending_bytes) {
  {
    std::lock_guard lock(g_out.queue_mutex);
    g_out.fd = fd;
    g_out.max_pending = max_pending_bytes;
    g_out.stopping = false;
    g_out.async = true;
  }
  g_writer_thread = std::thread([] {
    nameThisThread("egov-log");
    for (;;) {
      {
        std::unique_lock queue_lock(g_out.queue_mutex);
        g_out.wake.wait(queue_lock, [] { return g_out.stopping || !g_out.queued.empty(); });
        if (g_out.queued.empty() && g_out.dropped == 0) return;  // stopping, all written
        // Woken by the first line: the lines of the next few milliseconds go in the same
        // write, and their callers wake nobody (only a line into an empty queue notifies).
        g_out.wake.wait_for(queue_lock, kGatherWindow, [] { return g_out.stopping; });
      }
      // write_mutex before queue_mutex, as in logEvent.
      std::lock_guard write_lock(g_out.write_mutex);
      std::unique_lock queue_lock(g_out.queue_mutex);
      writeQueued(queue_lock);
    }
  });
}

LogWriter::~LogWriter() {
  {
    std::lock_guard lock(g_out.queue_mutex);
    g_out.stopping = true;
  }
  g_out.wake.notify_one();
  g_writer_thread.join();
  std::lock_guard write_lock(g_out.write_mutex);
  std::unique_lock queue_lock(g_out.queue_mutex);
  g_out.async = false;
  g_out.fd = 2;
  writeQueued(queue_lock);  // lines dropped at the very end
}

}  // namespace egov::core
