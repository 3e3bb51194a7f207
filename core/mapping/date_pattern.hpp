// Date re-formatting behind the mappings' format-date() (see extension_functions.hpp).
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

}  // namespace egov::core
