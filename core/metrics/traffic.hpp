// Recent traffic per tenant in 10-second buckets, kept in memory for the admin API's charts
// (GET /admin/v1/stats): exchanges submitted, failed (the bus or a back-end failed them) and
// refused (the caller's request was refused); delivery attempts of queued exchanges and how
// many failed. Thread-safe; a fixed ring, so memory is flat.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/common/result.hpp"

namespace egov::core {

class TrafficStats {
 public:
  static constexpr std::int64_t kBucketMs = 10'000;
  static constexpr std::size_t kBuckets = 60;  // ten minutes

  struct Counts {
    std::uint64_t exchanges = 0;
    std::uint64_t failed = 0;             // the bus or a back-end failed (5xx-like)
    std::uint64_t refused = 0;            // the request was refused (4xx-like)
    std::uint64_t deliveries = 0;         // delivery attempts of one-way exchanges
    std::uint64_t delivery_failures = 0;  // of those, failed (to be retried, or dead)
  };
  struct Bucket {
    std::int64_t start_ms = 0;
    std::map<std::string, Counts> tenants;  // by ISTAT code
  };

  // An exchange of `tenant` (ISTAT) ended at `at_ms` (epoch ms) with `outcome`.
  void record(const std::string& tenant, const Result<void>& outcome, std::int64_t at_ms);
  // A delivery attempt of a queued exchange of `tenant` ended at `at_ms` with `outcome`.
  void recordDelivery(const std::string& tenant, const Result<void>& outcome, std::int64_t at_ms);
  // The last kBuckets buckets up to the one holding now_ms, oldest first (empty ones too).
  std::vector<Bucket> snapshot(std::int64_t now_ms) const;

  // Failed (the bus's or a back-end's fault) rather than refused (the caller's).
  static bool isFailure(ErrorKind kind);

 private:
  struct Slot {
    std::int64_t index = -1;  // bucket number (epoch ms / kBucketMs); -1: unused
    std::map<std::string, Counts> tenants;
  };
  // The counts of `tenant` in the bucket of at_ms (mutex held); a scratch one when too old.
  Counts& slotFor(const std::string& tenant, std::int64_t at_ms);
  mutable std::mutex mutex_;
  std::array<Slot, kBuckets> slots_;
};

}  // namespace egov::core
