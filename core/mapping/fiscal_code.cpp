#include "core/mapping/fiscal_code.hpp"

#include <array>

namespace egov::core {
namespace {

constexpr std::string_view kMonthLetters = "ABCDEHLMPRST";
// Omocodia: the letter at index d stands for the digit d.
constexpr std::string_view kOmocodiaLetters = "LMNPQRSTUV";
// Positions (0-based) that hold digits, or their omocodia letters, in a person's code.
constexpr std::array<std::size_t, 7> kDigitPositions = {6, 7, 9, 10, 12, 13, 14};
// Check-character values of characters in odd (1-based) positions, indexed by digit value
// or by letter - 'A' (the Agenzia's table gives 0 and A the same value, 1 and B, ...).
constexpr std::array<int, 26> kOddValues = {1,  0,  5, 7, 9, 13, 15, 17, 19, 21, 2,  4,  18,
                                            20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23};

bool isUpperLetter(char c) {
  return c >= 'A' && c <= 'Z';
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// The digit a position stands for, omocodia decoded; -1 when it is neither.
int decodedDigit(char c) {
  if (isDigit(c)) return c - '0';
  const auto at = kOmocodiaLetters.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

bool isValidPersonCode(std::string_view code) {
  for (std::size_t i = 0; i < 6; ++i) {
    if (!isUpperLetter(code[i])) return false;
  }
  for (std::size_t i : kDigitPositions) {
    if (decodedDigit(code[i]) < 0) return false;
  }
  if (kMonthLetters.find(code[8]) == std::string_view::npos) return false;
  if (!isUpperLetter(code[11]) || !isUpperLetter(code[15])) return false;
  const int day = decodedDigit(code[9]) * 10 + decodedDigit(code[10]);
  if (!((day >= 1 && day <= 31) || (day >= 41 && day <= 71))) return false;

  int sum = 0;
  for (std::size_t i = 0; i < 15; ++i) {
    const char c = code[i];
    const int index = isDigit(c) ? c - '0' : c - 'A';
    sum += (i % 2 == 0) ? kOddValues[static_cast<std::size_t>(index)] : index;
  }
  return code[15] == static_cast<char>('A' + sum % 26);
}

// Partita IVA rule: digits in odd (1-based) positions count as they are, digits in even
// positions doubled (minus 9 when over 9); the 11th digit brings the sum to a multiple of 10.
bool isValidNumericCode(std::string_view code) {
  int sum = 0;
  bool all_zero = true;
  for (std::size_t i = 0; i < 11; ++i) {
    if (!isDigit(code[i])) return false;
    if (code[i] != '0') all_zero = false;
  }
  for (std::size_t i = 0; i < 10; ++i) {
    int digit = code[i] - '0';
    if (i % 2 == 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return !all_zero && code[10] - '0' == (10 - sum % 10) % 10;
}

}  // namespace

bool isValidFiscalCode(std::string_view code) {
  if (code.size() == 16) return isValidPersonCode(code);
  if (code.size() == 11) return isValidNumericCode(code);
  return false;
}

}  // namespace egov::core
