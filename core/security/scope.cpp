#include "core/security/scope.hpp"

namespace egov::core {

bool Scope::allowsTenant(std::string_view istat, std::string_view slug) const {
  for (const auto& t : tenants) {
    if (t == "*" || t == istat || t == slug) return true;
  }
  return false;
}

bool Scope::allowsService(std::string_view service) const {
  for (const auto& pattern : services) {
    if (servicePatternMatches(pattern, service)) return true;
  }
  return false;
}

bool Scope::allTenants() const {
  for (const auto& t : tenants) {
    if (t == "*") return true;
  }
  return false;
}

std::string Scope::str() const {
  std::string text = "tenants=";
  for (std::size_t i = 0; i < tenants.size(); ++i) text += (i ? "," : "") + tenants[i];
  text += " services=";
  for (std::size_t i = 0; i < services.size(); ++i) text += (i ? "," : "") + services[i];
  return text;
}

bool servicePatternMatches(std::string_view pattern, std::string_view service) {
  if (pattern == "*") return true;
  if (pattern.size() >= 2 && pattern.ends_with(".*")) {
    const auto prefix = pattern.substr(0, pattern.size() - 1);  // keeps the dot
    return service.size() > prefix.size() && service.starts_with(prefix);
  }
  return pattern == service;
}

bool isServicePattern(std::string_view pattern) {
  if (pattern == "*") return true;
  if (pattern.empty()) return false;
  std::size_t start = 0;
  while (true) {
    auto dot = pattern.find('.', start);
    auto segment = pattern.substr(start, dot == std::string_view::npos ? dot : dot - start);
    const bool last = dot == std::string_view::npos;
    if (segment == "*") return last && start > 0;
    if (segment.empty()) return false;
    for (char c : segment) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
    }
    if (last) return true;
    start = dot + 1;
  }
}

std::vector<std::string> splitList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return out;
}

}  // namespace egov::core
