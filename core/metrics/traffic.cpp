#include "core/metrics/traffic.hpp"

namespace egov::core {

bool TrafficStats::isFailure(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::mapping_failed:
    case ErrorKind::deadline_exceeded:
    case ErrorKind::backend_unavailable:
    case ErrorKind::backend_rejected:
    case ErrorKind::backend_invalid:
    case ErrorKind::unavailable:
    case ErrorKind::internal:
      return true;
    default:
      return false;
  }
}

TrafficStats::Counts& TrafficStats::slotFor(const std::string& tenant, std::int64_t at_ms) {
  static thread_local Counts discarded;  // a record older than the ring goes nowhere
  const std::int64_t index = at_ms / kBucketMs;
  auto& slot = slots_[static_cast<std::size_t>(index % static_cast<std::int64_t>(kBuckets))];
  if (slot.index != index) {
    if (slot.index > index) return discarded = Counts{};
    slot.index = index;
    slot.tenants.clear();
  }
  return slot.tenants[tenant];
}

void TrafficStats::record(const std::string& tenant, const Result<void>& outcome,
                          std::int64_t at_ms) {
  std::lock_guard lock(mutex_);
  auto& counts = slotFor(tenant, at_ms);
  ++counts.exchanges;
  if (!outcome) ++(isFailure(outcome.error().kind) ? counts.failed : counts.refused);
}

void TrafficStats::recordDelivery(const std::string& tenant, const Result<void>& outcome,
                                  std::int64_t at_ms) {
  std::lock_guard lock(mutex_);
  auto& counts = slotFor(tenant, at_ms);
  ++counts.deliveries;
  if (!outcome) ++counts.delivery_failures;
}

std::vector<TrafficStats::Bucket> TrafficStats::snapshot(std::int64_t now_ms) const {
  const std::int64_t last = now_ms / kBucketMs;
  std::vector<Bucket> buckets;
  buckets.reserve(kBuckets);
  std::lock_guard lock(mutex_);
  for (std::int64_t index = last - static_cast<std::int64_t>(kBuckets) + 1; index <= last;
       ++index) {
    Bucket bucket;
    bucket.start_ms = index * kBucketMs;
    if (index >= 0) {
      const auto& slot =
          slots_[static_cast<std::size_t>(index % static_cast<std::int64_t>(kBuckets))];
      if (slot.index == index) bucket.tenants = slot.tenants;
    }
    buckets.push_back(std::move(bucket));
  }
  return buckets;
}

}  // namespace egov::core
