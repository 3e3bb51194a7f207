// The listener on one io_context per I/O thread (egovbus serve): connections are handed to the
// lanes in turn, and a request read on a lane that has requests in hand while another has none is
// handled on the idle one; the response still goes back on its own connection.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "core/net/http_server.hpp"
#include "tests/support/raw_http.hpp"

namespace net = boost::asio;
using namespace egov;
using namespace egov::core;

namespace {

// Sends one keep-alive request for `path` and reads its response (Content-Length framed).
std::string request(int fd, const std::string& path) {
  const std::string raw = "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(::send(fd, raw.data(), raw.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(raw.size()));
  std::string response;
  char chunk[4096];
  for (;;) {
    const auto end = response.find("\r\n\r\n");
    if (end != std::string::npos) {
      const auto at = response.find("Content-Length: ");
      REQUIRE(at != std::string::npos);
      const auto length = std::stoul(response.substr(at + 16));
      if (response.size() >= end + 4 + length) return response.substr(end + 4, length);
    }
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    REQUIRE(n > 0);
    response.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace

TEST_CASE(
    "listener on two lanes: a request is handled on the lane with fewer requests in hand, "
    "its own on a tie") {
  net::io_context first(1), second(1);
  auto guard_first = net::make_work_guard(first);
  auto guard_second = net::make_work_guard(second);
  std::atomic<std::thread::id> first_id, second_id;
  std::atomic<int> holding{0};
  std::atomic<bool> release{false};

  HttpServer server(
      first,
      [&](HttpRequest request) -> awaitable<HttpResponse> {
        const std::string path(request.target());
        if (path == "/hold") {
          ++holding;
          net::steady_timer wait(co_await net::this_coro::executor);
          while (!release) {
            wait.expires_after(std::chrono::milliseconds(1));
            co_await wait.async_wait(net::use_awaitable);
          }
        }
        const auto here = std::this_thread::get_id();
        HttpResponse response{http::status::ok, 11};
        response.body() = here == first_id.load()    ? "first"
                          : here == second_id.load() ? "second"
                                                     : "elsewhere";
        response.prepare_payload();
        co_return response;
      },
      [] { return Limits{}; });
  server.setConnectionContexts({first.get_executor(), second.get_executor()});
  const auto port = server.listen("127.0.0.1", 0);
  server.start();
  std::thread run_first([&] {
    first_id = std::this_thread::get_id();
    first.run();
  });
  std::thread run_second([&] {
    second_id = std::this_thread::get_id();
    second.run();
  });
  while (first_id.load() == std::thread::id() || second_id.load() == std::thread::id()) {
    std::this_thread::yield();
  }

  // Accepted in turn: a on the first lane, b on the second, c on the first.
  const int a = test::connectLoopback(port);
  std::string held_a, held_b;
  std::thread hold_a([&] { held_a = request(a, "/hold"); });
  while (holding.load() < 1) std::this_thread::yield();
  const int b = test::connectLoopback(port);
  const int c = test::connectLoopback(port);

  // The first lane has a request in hand, the second none: c's request runs on the second.
  CHECK(request(c, "/where") == "second");
  // b's own lane is idle: it stays there.
  CHECK(request(b, "/where") == "second");
  // With a request in hand on each lane, c's stays on its own.
  std::thread hold_b([&] { held_b = request(b, "/hold"); });
  while (holding.load() < 2) std::this_thread::yield();
  CHECK(request(c, "/where") == "first");

  release = true;
  hold_a.join();
  hold_b.join();
  CHECK(held_a == "first");
  CHECK(held_b == "second");
  // Nothing in hand anywhere: each connection's request stays on its own lane.
  CHECK(request(c, "/where") == "first");
  CHECK(request(b, "/where") == "second");
  CHECK(request(a, "/where") == "first");

  for (int fd : {a, b, c}) ::close(fd);
  server.stopAccepting();
  guard_first.reset();
  guard_second.reset();
  run_first.join();
  run_second.join();
}
