// Runs an awaitable to completion on a fresh io_context and returns its value.
#pragma once

#include <future>

#include "core/net/asio.hpp"

namespace egov::test {

template <class T>
T runAwaitable(awaitable<T> task) {
  net::io_context io;
  auto future = net::co_spawn(io, std::move(task), net::use_future);
  io.run();
  return future.get();
}

}  // namespace egov::test
