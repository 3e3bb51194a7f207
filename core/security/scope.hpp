// What a client may reach: tenants (ISTAT code, slug or "*") and services (exact names,
// "prefix.*" or "*"). Matching is by string, so a scope naming a tenant that a later config
// removes simply matches nothing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace egov::core {

struct Scope {
  std::vector<std::string> tenants;   // empty: none
  std::vector<std::string> services;  // empty: none

  bool allowsTenant(std::string_view istat, std::string_view slug) const;
  bool allowsService(std::string_view service) const;
  bool allTenants() const;
  std::string str() const;  // "tenants=bari,072029 services=tributi.*"
};

// "*" matches every service, "tributi.*" every service under tributi., anything else itself.
bool servicePatternMatches(std::string_view pattern, std::string_view service);
// A pattern is "*", or dot-separated [a-z0-9_-] segments, the last of which may be "*".
bool isServicePattern(std::string_view pattern);

// "a,b, c" -> {"a","b","c"}; blanks dropped.
std::vector<std::string> splitList(std::string_view text);

}  // namespace egov::core
