#include "core/mapping/date_pattern.hpp"

#include <array>

namespace egov::core {
namespace {

struct DateTime {
  int year = -1;
  int month = -1;
  int day = -1;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

struct Token {
  std::string_view text;
  int DateTime::*field;
};

// Longest first is not needed: no token is a prefix of another.
constexpr std::array<Token, 6> kTokens = {{{"yyyy", &DateTime::year},
                                           {"MM", &DateTime::month},
                                           {"dd", &DateTime::day},
                                           {"HH", &DateTime::hour},
                                           {"mm", &DateTime::minute},
                                           {"ss", &DateTime::second}}};

const Token* tokenAt(std::string_view pattern) {
  for (const Token& token : kTokens) {
    if (pattern.substr(0, token.text.size()) == token.text) return &token;
  }
  return nullptr;
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// Consumes from `value` the part `pattern` describes; false when it does not match.
bool readPattern(std::string_view& value, std::string_view pattern, DateTime& out) {
  while (!pattern.empty()) {
    if (const Token* token = tokenAt(pattern)) {
      const std::size_t width = token->text.size();
      if (value.size() < width) return false;
      int number = 0;
      for (std::size_t i = 0; i < width; ++i) {
        if (!isDigit(value[i])) return false;
        number = number * 10 + (value[i] - '0');
      }
      out.*(token->field) = number;
      value.remove_prefix(width);
      pattern.remove_prefix(width);
    } else {
      if (value.empty() || value.front() != pattern.front()) return false;
      value.remove_prefix(1);
      pattern.remove_prefix(1);
    }
  }
  return true;
}

// Z, +hh:mm, -hh:mm, +hhmm: accepted and ignored (the wall-clock values are kept). Consumes
// all of `value` or reports no match.
bool readZone(std::string_view value) {
  if (value.empty() || value == "Z") return true;
  if (value.front() != '+' && value.front() != '-') return false;
  DateTime ignored;
  for (std::string_view pattern : {"HH:mm", "HHmm"}) {
    std::string_view rest = value.substr(1);
    if (readPattern(rest, pattern, ignored) && rest.empty()) return true;
  }
  return false;
}

bool readIso(std::string_view value, DateTime& out) {
  if (!readPattern(value, "yyyy-MM-dd", out)) return false;
  if (!value.empty() && value.front() == 'T') {
    value.remove_prefix(1);
    if (!readPattern(value, "HH:mm:ss", out)) return false;
    if (!value.empty() && value.front() == '.') {
      value.remove_prefix(1);
      if (value.empty() || !isDigit(value.front())) return false;
      while (!value.empty() && isDigit(value.front())) value.remove_prefix(1);
    }
  }
  return readZone(value);
}

bool isLeap(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

bool isRealDate(const DateTime& t) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (t.month < 1 || t.month > 12 || t.day < 1) return false;
  const int days = kDays[static_cast<std::size_t>(t.month - 1)] + (t.month == 2 && isLeap(t.year));
  return t.day <= days && t.hour <= 23 && t.minute <= 59 && t.second <= 59;
}

std::string write(const DateTime& t, std::string_view pattern) {
  std::string out;
  while (!pattern.empty()) {
    if (const Token* token = tokenAt(pattern)) {
      std::string digits = std::to_string(t.*(token->field));
      if (digits.size() < token->text.size()) {
        out.append(token->text.size() - digits.size(), '0');
      }
      out += digits;
      pattern.remove_prefix(token->text.size());
    } else {
      out.push_back(pattern.front());
      pattern.remove_prefix(1);
    }
  }
  return out;
}

bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

Result<std::string> formatDate(std::string_view value, std::string_view to_pattern,
                               std::optional<std::string_view> from_pattern) {
  while (!value.empty() && isBlank(value.front())) value.remove_prefix(1);
  while (!value.empty() && isBlank(value.back())) value.remove_suffix(1);
  if (value.empty()) return std::string();

  DateTime t;
  bool matched = false;
  if (from_pattern) {
    if (from_pattern->find("yyyy") == std::string_view::npos ||
        from_pattern->find("MM") == std::string_view::npos ||
        from_pattern->find("dd") == std::string_view::npos) {
      return makeError(ErrorKind::bad_request,
                       "from-pattern '" + std::string(*from_pattern) + "' lacks yyyy, MM or dd");
    }
    std::string_view rest = value;
    matched = readPattern(rest, *from_pattern, t) && rest.empty();
  } else {
    matched = readIso(value, t);
  }
  if (!matched || !isRealDate(t)) {
    const std::string expected =
        from_pattern ? "a date as '" + std::string(*from_pattern) + "'" : "an ISO date or dateTime";
    return makeError(ErrorKind::bad_request, "'" + std::string(value) + "' is not " + expected);
  }
  return write(t, to_pattern);
}

}  // namespace egov::core
