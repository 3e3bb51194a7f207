// Runs blocking work (file I/O, re-indexing) on the runtime's worker pool and resumes the
// calling coroutine on its own executor afterwards, so an I/O thread never blocks on a disk.
#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <utility>

#include "core/common/result.hpp"
#include "core/net/asio.hpp"

namespace egov::adapters::csv {

// `work` runs on one thread of `workers`; whatever it refers to must outlive the returned
// awaitable (the caller awaits it at once). An exception from `work` (out of memory) becomes
// ErrorKind::internal: nothing is thrown on the data path.
template <class T>
awaitable<core::Result<T>> onWorkers(const net::any_io_executor& workers,
                                     std::function<core::Result<T>()> work) {
  // co_spawn in Boost 1.74 needs a default-constructible result, which Result is not.
  std::optional<core::Result<T>> result = co_await net::co_spawn(
      workers,
      [&work]() -> awaitable<std::optional<core::Result<T>>> {
        try {
          co_return work();
        } catch (const std::exception& e) {
          co_return core::Result<T>(core::makeError(core::ErrorKind::internal, e.what()));
        }
      },
      net::use_awaitable);
  co_return std::move(*result);
}

}  // namespace egov::adapters::csv
