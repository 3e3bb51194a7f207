#include "adapters/anpr/anpr_shared.hpp"

#include <chrono>

namespace egov::adapters::anpr {
namespace {
constexpr std::size_t kSweepAbove = 512;
}  // namespace

std::optional<Evidence> EvidenceCache::find(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end() || core::Clock::now() >= it->second.reuse_until) return std::nullopt;
  return it->second;
}

Evidence EvidenceCache::offer(const std::string& key, Evidence candidate) {
  std::lock_guard lock(mutex_);
  const auto now = core::Clock::now();
  if (auto it = entries_.find(key); it != entries_.end() && now < it->second.reuse_until) {
    return it->second;
  }
  if (entries_.size() > kSweepAbove) {
    std::erase_if(entries_, [now](const auto& entry) { return entry.second.reuse_until <= now; });
  }
  entries_[key] = candidate;
  return candidate;
}

std::optional<int> Cooldowns::remaining(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = until_.find(key);
  if (it == until_.end()) return std::nullopt;
  const auto left = it->second - core::Clock::now();
  if (left <= core::Clock::duration::zero()) return std::nullopt;
  return static_cast<int>(
      std::max<std::int64_t>(1, std::chrono::ceil<std::chrono::seconds>(left).count()));
}

void Cooldowns::start(const std::string& key, core::Clock::time_point until) {
  std::lock_guard lock(mutex_);
  auto& slot = until_[key];
  if (slot < until) slot = until;
}

}  // namespace egov::adapters::anpr
