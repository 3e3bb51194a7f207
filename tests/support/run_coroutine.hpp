// Runs a coroutine to completion from a plain (test) function.
//
// Why not co_spawn(io, task, net::use_future)? In Boost 1.74 co_spawn's completion path calls
// handler(exception, T()) on failure, so it only compiles for a default-constructible T, and
// core::Result<T> deliberately is not. Here the value goes through a std::optional instead.
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "core/net/asio.hpp"

namespace egov::test {

// Runs `io` on the calling thread until it has no more work, so anything else spawned on
// `io` (timers, other coroutines) runs too. Rethrows what the coroutine threw.
// Whatever `task` refers to must outlive this call: coroutines start suspended, so
// runCoroutine(io, endpoint.call(CallRequest{...})) would read a destroyed temporary.
template <class T>
T runCoroutine(net::io_context& io, awaitable<T> task) {
  std::optional<T> result;
  std::exception_ptr failure;
  net::co_spawn(
      io,
      [&]() -> awaitable<void> {
        T value = co_await std::move(task);
        result.emplace(std::move(value));
      },
      [&](std::exception_ptr error) { failure = error; });
  io.restart();
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*result);
}

inline void runCoroutine(net::io_context& io, awaitable<void> task) {
  std::exception_ptr failure;
  net::co_spawn(io, std::move(task), [&](std::exception_ptr error) { failure = error; });
  io.restart();
  io.run();
  if (failure) std::rethrow_exception(failure);
}

// The same on a fresh io_context of its own.
template <class T>
T runCoroutine(awaitable<T> task) {
  net::io_context io;
  if constexpr (std::is_void_v<T>) {
    runCoroutine(io, std::move(task));
  } else {
    return runCoroutine(io, std::move(task));
  }
}

}  // namespace egov::test
