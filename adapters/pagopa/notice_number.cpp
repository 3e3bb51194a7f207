#include "adapters/pagopa/notice_number.hpp"

#include <algorithm>

namespace egov::adapters::pagopa {
namespace {

bool allDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

core::Error invalid(std::string message) {
  return core::makeError(core::ErrorKind::bad_request, std::move(message));
}

}  // namespace

core::Result<std::string> checkDigits(std::string_view digits) {
  if (!allDigits(digits)) return invalid("check digits need decimal digits");
  int remainder = 0;
  for (char c : digits) remainder = (remainder * 10 + (c - '0')) % 93;
  std::string out(2, '0');
  out[0] = static_cast<char>('0' + remainder / 10);
  out[1] = static_cast<char>('0' + remainder % 10);
  return out;
}

core::Result<NoticeNumber> parseNoticeNumber(std::string_view text) {
  if (text.size() != 18 || !allDigits(text)) {
    return invalid("a notice number is 18 digits, not '" + std::string(text) + "'");
  }
  NoticeNumber notice;
  notice.text = std::string(text);
  notice.aux_digit = text[0] - '0';
  switch (notice.aux_digit) {
    case 0:
      notice.code = std::string(text.substr(1, 2));
      notice.iuv = std::string(text.substr(3));
      break;
    case 3:
      notice.code = std::string(text.substr(1, 2));
      notice.iuv = std::string(text.substr(1));
      break;
    case 1:
    case 2:
      notice.iuv = std::string(text.substr(1));
      break;
    default:
      return invalid("notice number " + notice.text + ": unknown aux digit " +
                     std::to_string(notice.aux_digit));
  }
  if (notice.aux_digit != 1) {
    auto expected = checkDigits(text.substr(0, 16));
    if (!expected) return std::move(expected).error();
    if (text.substr(16) != *expected) {
      return invalid("notice number " + notice.text + ": check digits " +
                     std::string(text.substr(16)) + " should be " + *expected);
    }
  }
  return notice;
}

core::Result<NoticeNumber> makeNoticeNumber(int aux_digit, std::string_view code,
                                            std::string_view iuv_base) {
  if (aux_digit != 0 && aux_digit != 3) {
    return invalid("notice numbers are generated with aux digit 0 or 3, not " +
                   std::to_string(aux_digit));
  }
  if (code.size() != 2 || !allDigits(code)) {
    return invalid(std::string(aux_digit == 0 ? "application" : "segregation") +
                   " code must be 2 digits, not '" + std::string(code) + "'");
  }
  if (iuv_base.empty() || iuv_base.size() > 13 || !allDigits(iuv_base)) {
    return invalid("the IUV base must be 1 to 13 digits, not '" + std::string(iuv_base) + "'");
  }
  std::string first16 = std::to_string(aux_digit) + std::string(code) +
                        std::string(13 - iuv_base.size(), '0') + std::string(iuv_base);
  auto check = checkDigits(first16);
  if (!check) return std::move(check).error();
  return parseNoticeNumber(first16 + *check);
}

std::optional<long long> amountToCents(std::string_view amount) {
  auto dot = amount.find('.');
  auto whole = amount.substr(0, dot);
  auto fraction = dot == std::string_view::npos ? std::string_view{} : amount.substr(dot + 1);
  if (!allDigits(whole) || whole.size() > 13) return std::nullopt;
  if (dot != std::string_view::npos &&
      (fraction.empty() || fraction.size() > 2 || !allDigits(fraction))) {
    return std::nullopt;
  }
  long long cents = 0;
  for (char c : whole) cents = cents * 10 + (c - '0');
  cents *= 100;
  if (fraction.size() >= 1) cents += (fraction[0] - '0') * 10;
  if (fraction.size() == 2) cents += fraction[1] - '0';
  return cents;
}

std::string centsToAmount(long long cents) {
  std::string fraction = std::to_string(cents % 100);
  if (fraction.size() < 2) fraction.insert(0, "0");
  return std::to_string(cents / 100) + "." + fraction;
}

core::Result<std::string> qrPayload(std::string_view notice_number, std::string_view fiscal_code,
                                    std::string_view amount) {
  auto notice = parseNoticeNumber(notice_number);
  if (!notice) return std::move(notice).error();
  if (fiscal_code.size() != 11 || !allDigits(fiscal_code)) {
    return invalid("the creditor fiscal code must be 11 digits, not '" + std::string(fiscal_code) +
                   "'");
  }
  auto cents = amountToCents(amount);
  if (!cents || *cents <= 0)
    return invalid("not a positive euro amount: '" + std::string(amount) + "'");
  return "PAGOPA|002|" + notice->text + "|" + std::string(fiscal_code) + "|" +
         std::to_string(*cents);
}

}  // namespace egov::adapters::pagopa
