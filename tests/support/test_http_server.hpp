// A small HTTP/1.1 server for tests: bound to 127.0.0.1 on a port the system picks, run by
// its own threads, answering every request with a handler the test supplies and recording
// what it received. Keeps connections alive, as curl expects.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/net/beast.hpp"

namespace egov::test {

struct TestHttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query as sent, e.g. "/positions/X?year=2024"
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  // The value of a header (name in any case), or "" when absent.
  std::string header(std::string_view name) const;
};

struct TestHttpResponse {
  int status = 200;
  std::string content_type = "application/json";  // empty: no Content-Type header
  std::string body;
  bool chunked = false;  // chunked transfer encoding instead of Content-Length
};

// Called on one of the server's threads, possibly concurrently; it may sleep to simulate a
// slow back-end (that thread then serves nobody else). An exception becomes a 500.
using TestHttpHandler = std::function<TestHttpResponse(const TestHttpRequest&)>;

class TestHttpServer {
 public:
  explicit TestHttpServer(TestHttpHandler handler, unsigned threads = 4);
  // Stops accepting, drops open connections and joins the threads (after any handler that
  // is still sleeping returns).
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  unsigned short port() const { return port_; }
  // "http://127.0.0.1:<port>" followed by `target`.
  std::string url(std::string_view target = "") const;

  // Requests received so far, in arrival order. Thread-safe.
  std::vector<TestHttpRequest> requests() const;
  std::size_t requestCount() const;
  // TCP connections accepted so far. Thread-safe.
  std::size_t connectionCount() const;

 private:
  awaitable<void> acceptLoop();
  awaitable<void> serve(net::ip::tcp::socket socket);
  TestHttpResponse answer(const TestHttpRequest& request);

  TestHttpHandler handler_;
  net::io_context io_;
  net::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  mutable std::mutex mutex_;
  std::vector<TestHttpRequest> requests_;
  std::size_t connections_ = 0;
  std::vector<std::thread> threads_;
};

// A port on 127.0.0.1 that was just free and has nothing listening: bound, then closed.
unsigned short closedLocalPort();

}  // namespace egov::test
