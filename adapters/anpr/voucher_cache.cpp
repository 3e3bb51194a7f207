#include "adapters/anpr/voucher_cache.hpp"

#include <utility>

namespace egov::adapters::anpr {
namespace {

// Expired entries are swept when the cache grows past this (one voucher per user and
// purpose is held for a few minutes at most).
constexpr std::size_t kSweepAbove = 512;

}  // namespace

awaitable<VoucherCache::Joined> VoucherCache::join(const std::string& key) {
  return net::async_initiate<const net::use_awaitable_t<>, void(Joined)>(
      [this](auto handler, std::string wanted) {
        auto completion = core::makeCompletion<Joined>(std::move(handler));
        std::unique_lock lock(mutex_);
        if (auto it = cached_.find(wanted);
            it != cached_.end() && core::Clock::now() < it->second.refresh_at) {
          Voucher voucher = it->second;
          lock.unlock();
          completion->complete(Joined(core::Result<Voucher>(std::move(voucher))));
          return;
        }
        if (auto flight = flights_.find(wanted); flight != flights_.end()) {
          flight->second.push_back(std::move(completion));
          return;
        }
        flights_.emplace(std::move(wanted), std::vector<Waiter>());
        ++fetches_;
        lock.unlock();
        completion->complete(Joined());
      },
      net::use_awaitable, key);
}

void VoucherCache::settle(const std::string& key, const core::Result<Voucher>& result) {
  std::vector<Waiter> waiters;
  {
    std::lock_guard lock(mutex_);
    if (auto flight = flights_.find(key); flight != flights_.end()) {
      waiters = std::move(flight->second);
      flights_.erase(flight);
    }
    if (result) {
      const auto now = core::Clock::now();
      if (cached_.size() > kSweepAbove) {
        std::erase_if(cached_, [now](const auto& entry) { return entry.second.refresh_at <= now; });
      }
      if (now < result->refresh_at) cached_[key] = *result;
    }
  }
  for (auto& waiter : waiters) waiter->complete(Joined(result));
}

awaitable<core::Result<Voucher>> VoucherCache::get(const std::string& key, Fetch fetch) {
  Joined joined = co_await join(key);
  if (joined) co_return std::move(*joined);

  // This caller fetches for everyone. Whatever ends the fetch (even the coroutine being
  // destroyed at shutdown), the waiters are answered.
  struct Settler {
    VoucherCache& cache;
    const std::string& key;
    bool done = false;
    ~Settler() {
      if (!done) {
        cache.settle(key, core::makeError(core::ErrorKind::unavailable,
                                          "the voucher request was abandoned"));
      }
    }
  } settler{*this, key};
  core::Result<Voucher> result = co_await fetch();
  settler.done = true;
  settle(key, result);
  co_return result;
}

void VoucherCache::invalidate(const std::string& key) {
  std::lock_guard lock(mutex_);
  cached_.erase(key);
}

std::size_t VoucherCache::fetches() const {
  std::lock_guard lock(mutex_);
  return fetches_;
}

std::size_t VoucherCache::size() const {
  std::lock_guard lock(mutex_);
  return cached_.size();
}

}  // namespace egov::adapters::anpr
