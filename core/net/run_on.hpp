// Runs blocking work (a C library, file I/O, signing) on a worker pool and resumes the
// awaiting coroutine on its own executor with the result, as one Asio operation, so an I/O
// thread never blocks.
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "core/common/result.hpp"
#include "core/net/asio.hpp"

namespace egov::core {

// `work` returns a Result<T>; an exception from it (out of memory) becomes
// ErrorKind::internal, so nothing is thrown on the data path. Whatever `work` refers to
// must outlive the co_await. Pass it as a named local: g++ 12 mishandles the captures of a
// lambda temporary inside a co_await expression.
template <class Work>
auto runOn(const net::any_io_executor& workers, Work work) {
  using R = std::invoke_result_t<Work&>;
  return net::async_initiate<const net::use_awaitable_t<>, void(R)>(
      [](auto handler, const net::any_io_executor& pool, Work task) {
        // The caller's io_context must not run out of work while the task is on the pool.
        auto home = net::prefer(net::get_associated_executor(handler),
                                net::execution::outstanding_work.tracked);
        net::post(pool, [handler = std::move(handler), home = std::move(home),
                         task = std::move(task)]() mutable {
          std::optional<R> result;
          try {
            result.emplace(task());
          } catch (const std::exception& e) {
            result.emplace(makeError(ErrorKind::internal, e.what()));
          }
          net::post(home, [handler = std::move(handler), value = std::move(*result)]() mutable {
            std::move(handler)(std::move(value));
          });
        });
      },
      net::use_awaitable, workers, std::move(work));
}

}  // namespace egov::core
