// StopSignal: how a running source is asked to stop.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>

#include "core/engine/source.hpp"

namespace net = boost::asio;
using boost::asio::awaitable;
using namespace std::chrono_literals;

TEST_CASE("stop signal: a stop asked just before the source ends outlives the signal") {
  // request() posts the timer's cancel; the source may finish and its StopSignal be freed
  // before that runs (the posted cancel used to reach the freed signal: ASan, db source test).
  net::io_context io(1);
  auto signal = std::make_unique<egov::core::StopSignal>(net::make_strand(io));
  CHECK_FALSE(signal->requested());
  signal->request();
  CHECK(signal->requested());
  signal.reset();
  CHECK(io.run() == 1);  // the cancel ran, on a timer still alive
}

TEST_CASE("stop signal: a sleep ends early when stop is asked, at once when it was") {
  net::io_context io(1);
  egov::core::StopSignal signal(net::make_strand(io));
  bool slept_whole = true;
  net::co_spawn(
      io, [&]() -> awaitable<void> { slept_whole = co_await signal.sleep(1h); }, net::detached);
  io.run_one();  // the coroutine starts its sleep
  signal.request();
  io.run();
  CHECK_FALSE(slept_whole);
  bool again = true;
  net::co_spawn(
      io, [&]() -> awaitable<void> { again = co_await signal.sleep(1h); }, net::detached);
  io.restart();
  io.run();
  CHECK_FALSE(again);
}
