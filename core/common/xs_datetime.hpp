// xs:dateTime with a time zone, as WS-Security timestamps and SAML instants write it.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace egov::core {

// An xs:dateTime with its zone ("Z" or "+hh:mm"), fraction optional ("...00.250Z"), as an
// instant; nullopt for anything else (a local time without a zone is no instant, nor is an
// impossible date such as 30 February).
std::optional<std::chrono::system_clock::time_point> parseXsDateTime(std::string_view text);

}  // namespace egov::core
