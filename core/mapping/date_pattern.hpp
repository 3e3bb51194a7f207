// Date re-formatting and Italian number text behind the mappings' format-date(),
// parse-decimal() and format-decimal() (see extension_functions.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace egov::core {

// Reads `value` with `from_pattern` (ISO date or dateTime when absent) and writes it with
// `to_pattern`. Tokens: yyyy MM dd HH mm ss, each exactly that many digits; other characters
// are literal. Blanks around `value` are ignored; an empty value gives an empty string.
// Errors (ErrorKind::bad_request): no match, not a real date or time, a from-pattern without
// yyyy, MM and dd.
Result<std::string> formatDate(std::string_view value, std::string_view to_pattern,
                               std::optional<std::string_view> from_pattern = std::nullopt);

// Italian number text, as legacy exports and forms write it ("1.234,56": '.' groups
// thousands in threes, ',' separates the decimals), to decimal text an XPath number() and a
// JSON <number> read ("1234.56"). Decimals are kept as written ("-0,50" -> "-0.50"), leading
// zeros of the integer part dropped; an optional sign, blanks around ignored; an empty value
// gives an empty string. "1.234" is 1234: a '.' always groups thousands, so "12.34" (an
// English decimal, or a typo) is refused rather than read a hundred times too large.
// Errors (ErrorKind::bad_request): anything else, e.g. "12,3,4", "1.23,4", "1234,", "€ 5".
Result<std::string> parseItalianDecimal(std::string_view text);

// Decimal text ("1234.5", "-0.125", "1e-7", as XPath's string() of a number writes it) to
// Italian text with exactly `decimals` decimals (0 to 20), thousands grouped: "1.234,50".
// Rounds half away from zero on the decimal digits themselves, never through a double. A
// result of zero has no sign. An empty value gives an empty string.
// Errors (ErrorKind::bad_request): not a finite decimal number (NaN, Infinity, "1,5"),
// `decimals` out of range.
Result<std::string> formatItalianDecimal(std::string_view number, int decimals);

}  // namespace egov::core
