#include "core/log/log.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace egov::core {
namespace {

std::atomic<LogLevel> g_level{LogLevel::info};
std::atomic<void (*)(std::string_view)> g_sink{nullptr};
std::mutex g_write_mutex;

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

void logEvent(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (level < g_level.load(std::memory_order_relaxed)) return;
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();

  const auto now = std::chrono::system_clock::now();
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char ts[64];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  writer.Key("ts");
  writer.String(ts);
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
  std::string_view line(buffer.GetString(), buffer.GetSize());
  if (auto sink = g_sink.load()) return sink(line);
  std::lock_guard lock(g_write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fputc('\n', stderr);
}

}  // namespace egov::core
