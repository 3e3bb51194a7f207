// Helpers shared by the admin API's operations (admin_api.cpp, admin_views.cpp): JSON
// responses written with RapidJSON, query parameters, times.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/net/beast.hpp"

namespace egov::core::admin {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

HttpResponse jsonResponse(const HttpRequest& request, http::status status, std::string body,
                          const char* type = "application/json");

template <class Fill>
std::string json(Fill fill) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  fill(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

void writeString(JsonWriter& w, const char* key, std::string_view value);

// The raw value of `name` in a query string ("" when absent), and percent-decoded
// (false when malformed).
std::string queryValue(std::string_view query, std::string_view name);
bool decodedQueryValue(std::string_view query, std::string_view name, std::string& out);

// Epoch milliseconds as RFC 3339 UTC ("2026-11-26T07:40:09Z"), and back: seconds with an
// optional fraction, "Z" or a numeric offset. Nullopt when malformed.
std::string isoTime(std::int64_t ms);
std::optional<std::int64_t> parseIsoTime(std::string_view text);

}  // namespace egov::core::admin
