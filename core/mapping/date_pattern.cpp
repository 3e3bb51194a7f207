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

namespace egov::core {
namespace {

bool allDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!isDigit(c)) return false;
  }
  return true;
}

std::string_view trimBlanks(std::string_view text) {
  while (!text.empty() && isBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && isBlank(text.back())) text.remove_suffix(1);
  return text;
}

// Thousands grouped with '.' must be whole groups of three after the first, else the '.'
// was probably meant as a decimal point and the value would be read wrong by far.
bool readGroupedInteger(std::string_view text, std::string& digits) {
  if (text.find('.') == std::string_view::npos) {
    if (!allDigits(text)) return false;
    digits.assign(text);
    return true;
  }
  std::size_t dot = text.find('.');
  std::string_view first = text.substr(0, dot);
  if (!allDigits(first) || first.size() > 3) return false;
  digits.assign(first);
  text.remove_prefix(dot);
  while (!text.empty()) {
    std::string_view group = text.substr(1, 3);
    if (text.front() != '.' || group.size() != 3 || !allDigits(group)) return false;
    digits.append(group);
    text.remove_prefix(4);
  }
  return true;
}

void dropLeadingZeros(std::string& digits) {
  const std::size_t first = digits.find_first_not_of('0');
  digits.erase(0, first == std::string::npos ? digits.size() - 1 : first);
}

std::string groupThousands(const std::string& digits) {
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back('.');
    out.push_back(digits[i]);
  }
  return out;
}

// Adds one unit in the last place of a digit string; true when it overflowed ("99" -> "00").
bool incrementDigits(std::string& digits) {
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (*it != '9') {
      ++*it;
      return false;
    }
    *it = '0';
  }
  return true;
}

constexpr int kMaxExponent = 400;  // beyond any double; bounds the digits written

}  // namespace

Result<std::string> parseItalianDecimal(std::string_view text) {
  text = trimBlanks(text);
  if (text.empty()) return std::string();
  const std::string original(text);
  auto invalid = [&] {
    return makeError(ErrorKind::bad_request,
                     "'" + original + "' is not an Italian decimal number such as 1.234,56");
  };
  std::string out;
  if (text.front() == '-' || text.front() == '+') {
    if (text.front() == '-') out.push_back('-');
    text.remove_prefix(1);
  }
  const std::size_t comma = text.find(',');
  std::string digits;
  if (!readGroupedInteger(text.substr(0, comma), digits)) return invalid();
  dropLeadingZeros(digits);
  out += digits;
  if (comma != std::string_view::npos) {
    const std::string_view fraction = text.substr(comma + 1);
    if (!allDigits(fraction)) return invalid();
    out.push_back('.');
    out.append(fraction);
  }
  return out;
}

Result<std::string> formatItalianDecimal(std::string_view number, int decimals) {
  if (decimals < 0 || decimals > 20) {
    return makeError(ErrorKind::bad_request,
                     "decimals must be between 0 and 20, not " + std::to_string(decimals));
  }
  number = trimBlanks(number);
  if (number.empty()) return std::string();
  const std::string original(number);
  auto invalid = [&] {
    return makeError(ErrorKind::bad_request, "'" + original + "' is not a decimal number");
  };

  bool negative = false;
  if (number.front() == '-' || number.front() == '+') {
    negative = number.front() == '-';
    number.remove_prefix(1);
  }
  // Mantissa digits and where the decimal point falls in them.
  const std::size_t exponent_at = number.find_first_of("eE");
  std::string_view mantissa = number.substr(0, exponent_at);
  const std::size_t dot = mantissa.find('.');
  const std::string_view integer_text = mantissa.substr(0, dot);
  const std::string_view fraction_text =
      dot == std::string_view::npos ? std::string_view() : mantissa.substr(dot + 1);
  if ((integer_text.empty() && fraction_text.empty()) ||
      (!integer_text.empty() && !allDigits(integer_text)) ||
      (!fraction_text.empty() && !allDigits(fraction_text))) {
    return invalid();
  }
  std::string digits = std::string(integer_text) + std::string(fraction_text);
  long point = static_cast<long>(integer_text.size());
  if (exponent_at != std::string_view::npos) {
    std::string_view exponent = number.substr(exponent_at + 1);
    bool exponent_negative = false;
    if (!exponent.empty() && (exponent.front() == '-' || exponent.front() == '+')) {
      exponent_negative = exponent.front() == '-';
      exponent.remove_prefix(1);
    }
    if (!allDigits(exponent) || exponent.size() > 3) return invalid();
    int shift = 0;
    for (char c : exponent) shift = shift * 10 + (c - '0');
    if (shift > kMaxExponent) return invalid();
    point += exponent_negative ? -shift : shift;
  }
  if (point < 0) {
    digits.insert(0, static_cast<std::size_t>(-point), '0');
    point = 0;
  }
  if (static_cast<std::size_t>(point) > digits.size()) {
    digits.append(static_cast<std::size_t>(point) - digits.size(), '0');
  }

  std::string integer = digits.substr(0, static_cast<std::size_t>(point));
  std::string fraction = digits.substr(static_cast<std::size_t>(point));
  const auto places = static_cast<std::size_t>(decimals);
  if (fraction.size() > places) {
    const bool round_up = fraction[places] >= '5';
    fraction.resize(places);
    if (round_up) {
      std::string all = integer + fraction;
      if (incrementDigits(all)) all.insert(0, 1, '1');
      integer = all.substr(0, all.size() - places);
      fraction = all.substr(all.size() - places);
    }
  }
  fraction.append(places - fraction.size(), '0');
  if (integer.empty()) integer = "0";
  dropLeadingZeros(integer);

  const bool zero = integer == "0" && fraction.find_first_not_of('0') == std::string::npos;
  std::string out = negative && !zero ? "-" : "";
  out += groupThousands(integer);
  if (places > 0) out += "," + fraction;
  return out;
}

}  // namespace egov::core
