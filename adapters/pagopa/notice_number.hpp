// pagoPA notice numbers (codice avviso, 18 digits) and IUV check digits.
//
//   aux digit 0: 0 <application code 2n> <IUV base 13n> <check 2n>   IUV = base + check (15n)
//   aux digit 1: 1 <IUV 17n>                                         no check digits
//   aux digit 2: 2 <IUV base 15n> <check 2n>                         IUV = base + check (17n)
//   aux digit 3: 3 <segregation code 2n> <IUV base 13n> <check 2n>   IUV = code + base + check
//
// The check digits are the remainder mod 93 of the number formed by the 16 digits before
// them (aux digit included), written on two digits. Pure functions, any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace egov::adapters::pagopa {

struct NoticeNumber {
  std::string text;  // the 18 digits
  int aux_digit = 0;
  std::string code;  // application code (aux 0) or segregation code (aux 3), else ""
  std::string iuv;   // 15 digits (aux 0) or 17 digits (aux 1, 2, 3)
};

// Two digits: `digits` (all decimal) mod 93. Errors: bad_request when not digits.
core::Result<std::string> checkDigits(std::string_view digits);

// Reads an 18-digit notice number and checks its check digits (aux 0, 2, 3). Errors
// (bad_request) name what is wrong: length, non-digits, unknown aux digit, check digits.
core::Result<NoticeNumber> parseNoticeNumber(std::string_view text);

// Builds a notice number from its parts: aux 0 with a 2-digit application code, aux 3 with a
// 2-digit segregation code; `iuv_base` is the 13-digit base (shorter numbers are zero-padded
// on the left). Errors: bad_request for anything out of shape.
core::Result<NoticeNumber> makeNoticeNumber(int aux_digit, std::string_view code,
                                            std::string_view iuv_base);

// "PAGOPA|002|<noticeNumber>|<fiscalCode>|<amountInCents>" for the QR code of a notice;
// `amount` is decimal euro text ("120.5", "120.50"). Errors: bad_request.
core::Result<std::string> qrPayload(std::string_view notice_number, std::string_view fiscal_code,
                                    std::string_view amount);

// Decimal euro text to cents: "12", "12.3", "12.30" → 1230; at most 2 decimals, no sign, no
// exponent. Empty optional when the text is not such an amount.
std::optional<long long> amountToCents(std::string_view amount);
// 1230 → "12.30" (the pagoPA \d+\.\d{2} form).
std::string centsToAmount(long long cents);

}  // namespace egov::adapters::pagopa
