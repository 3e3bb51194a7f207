// What every `anpr` endpoint of the process shares, across config reloads (one instance,
// RuntimeServices::shared): the voucher cache, the TrackingEvidence tokens being reused, and
// the cool-downs ANPR imposed with a 429. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "adapters/anpr/modi_tokens.hpp"
#include "adapters/anpr/voucher_cache.hpp"
#include "core/engine/exchange.hpp"

namespace egov::adapters::anpr {

// A voucher is bound to one TrackingEvidence (its digest claim), so the same evidence is sent
// for the same user, channel and LoA while it is young enough for the provider's iat window;
// that is what lets one voucher serve many calls.
inline constexpr std::chrono::seconds kEvidenceReuse{240};

struct Evidence {
  SignedToken token;
  std::string digest_hex;  // auditDigest(token.jws)
  core::Clock::time_point reuse_until;
};

class EvidenceCache {
 public:
  std::optional<Evidence> find(const std::string& key) const;
  // Keeps `candidate` unless a fresh one was stored meanwhile by a concurrent call, and
  // returns the one to use, so concurrent calls of one user share one evidence (and voucher).
  Evidence offer(const std::string& key, Evidence candidate);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Evidence> entries_;
};

// After a 429 the e-service (or PDND's token endpoint) is not called again for that client
// until the time it asked for has passed: callers get 429 at once instead of feeding a retry
// storm.
class Cooldowns {
 public:
  // Seconds left (at least 1) when `key` is cooling down.
  std::optional<int> remaining(const std::string& key) const;
  void start(const std::string& key, core::Clock::time_point until);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, core::Clock::time_point> until_;
};

struct AnprShared {
  VoucherCache vouchers;
  EvidenceCache evidence;
  Cooldowns cooldowns;
};

}  // namespace egov::adapters::anpr
