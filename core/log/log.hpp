// Structured JSON log lines on stderr, one per event. Every string value is passed through
// maskFiscalCodes, so a citizen's codice fiscale never reaches a log.
#pragma once

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
// Where lines go; stderr by default. Tests capture with a string sink.
void setLogSink(void (*sink)(std::string_view line));

// Replaces every Italian personal fiscal code (16 characters, omocodic forms included) with
// its first 3 and last character: "RSSMRA80A01A662X" -> "RSS************X".
std::string maskFiscalCodes(std::string_view text);

}  // namespace egov::core
