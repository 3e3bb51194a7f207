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

void TrafficStats::record(const std::string& tenant, const Result<void>& outcome,
                          std::int64_t at_ms) {
  const std::int64_t index = at_ms / kBucketMs;
  std::lock_guard lock(mutex_);
  auto& slot = slots_[static_cast<std::size_t>(index % static_cast<std::int64_t>(kBuckets))];
  if (slot.index != index) {
    if (slot.index > index) return;  // older than the ring
    slot.index = index;
    slot.tenants.clear();
  }
  auto& counts = slot.tenants[tenant];
  ++counts.exchanges;
  if (!outcome) ++(isFailure(outcome.error().kind) ? counts.failed : counts.refused);
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
