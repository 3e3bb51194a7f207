// Query parameters of the unified API: parsed from the query string, then joined to the
// caller's JSON object body (as the route sees it: XPath 3.1 fn:map XML) — the REST API and
// `egovbus test` apply the same rule.
#pragma once

#include <libxml/tree.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/result.hpp"

namespace egov::core {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Percent-decoding of a path segment or query component ('+' is a space only in queries);
// false on a malformed escape.
bool percentDecode(std::string_view in, std::string& out, bool plus_is_space);

// `a=1&b=x%20y` -> {{"a","1"},{"b","x y"}}; malformed percent-encoding is bad_request.
Result<QueryParams> parseQuery(std::string_view query);

// Query parameters join the top-level JSON object as strings (a repeated one as an array of
// strings); a name present in both places is ambiguous and refused, and so is any body
// that is not a JSON object.
Result<void> mergeQuery(xmlDoc& doc, const QueryParams& params);

}  // namespace egov::core
