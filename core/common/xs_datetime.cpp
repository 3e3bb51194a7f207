// xs:dateTime as an instant, shared by WS-Security timestamps and SAML assertions.
#include "core/common/xs_datetime.hpp"

namespace egov::core {
namespace {

// `digits` decimal digits at `pos`, moved past them.
bool readDigits(std::string_view text, std::size_t& pos, int digits, int& value) {
  value = 0;
  for (int i = 0; i < digits; ++i, ++pos) {
    if (pos >= text.size() || text[pos] < '0' || text[pos] > '9') return false;
    value = value * 10 + (text[pos] - '0');
  }
  return true;
}

bool skip(std::string_view text, std::size_t& pos, char expected) {
  if (pos >= text.size() || text[pos] != expected) return false;
  ++pos;
  return true;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parseXsDateTime(std::string_view text) {
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!readDigits(text, pos, 4, year) || !skip(text, pos, '-') ||
      !readDigits(text, pos, 2, month) || !skip(text, pos, '-') || !readDigits(text, pos, 2, day) ||
      !skip(text, pos, 'T') || !readDigits(text, pos, 2, hour) || !skip(text, pos, ':') ||
      !readDigits(text, pos, 2, minute) || !skip(text, pos, ':') ||
      !readDigits(text, pos, 2, second)) {
    return std::nullopt;
  }
  std::chrono::milliseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0, millis = 0;
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++digits) {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (int d = digits; d < 3; ++d) millis *= 10;
    fraction = std::chrono::milliseconds(millis);
  }
  std::chrono::minutes offset{0};
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos++] == '-' ? -1 : 1;
    int hours = 0, minutes = 0;
    if (!readDigits(text, pos, 2, hours) || !skip(text, pos, ':') ||
        !readDigits(text, pos, 2, minutes) || hours > 14 || minutes > 59) {
      return std::nullopt;
    }
    offset = std::chrono::minutes(sign * (hours * 60 + minutes));
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(
      std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
      std::chrono::seconds(second) + fraction - offset);
}

}  // namespace egov::core
