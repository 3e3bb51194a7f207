// PDND vouchers cached per key (tenant, client, purposeId, audit digest) until shortly before
// they expire, with single flight: concurrent callers needing the same missing voucher share
// one token request. One instance per process (RuntimeServices::shared), so a config reload
// keeps the vouchers. Thread-safe; waiting never blocks a thread.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/common/result.hpp"
#include "core/engine/exchange.hpp"
#include "core/net/asio.hpp"
#include "core/net/completion.hpp"

namespace egov::adapters::anpr {

struct Voucher {
  std::string access_token;
  core::Clock::time_point refresh_at;  // not handed out from the cache from then on
};

class VoucherCache {
 public:
  using Fetch = std::function<awaitable<core::Result<Voucher>>()>;

  // The cached voucher of `key` while it is fresh. Otherwise the first caller runs `fetch` and
  // every caller that arrives for the same key before it ends gets its result, success or
  // error (errors are not cached). Resumes on the caller's executor; `fetch` runs on the
  // first caller's.
  awaitable<core::Result<Voucher>> get(const std::string& key, Fetch fetch);

  // Drops the cached voucher of `key` (the e-service refused it).
  void invalidate(const std::string& key);

  std::size_t fetches() const;  // token requests started so far (tests and metrics)
  std::size_t size() const;     // cached vouchers

 private:
  using Joined = std::optional<core::Result<Voucher>>;  // nullopt: you fetch
  using Waiter = std::unique_ptr<core::Completion<Joined>>;

  awaitable<Joined> join(const std::string& key);
  void settle(const std::string& key, const core::Result<Voucher>& result);

  mutable std::mutex mutex_;
  std::map<std::string, Voucher> cached_;
  std::map<std::string, std::vector<Waiter>> flights_;  // key -> callers waiting for it
  std::size_t fetches_ = 0;
};

}  // namespace egov::adapters::anpr
