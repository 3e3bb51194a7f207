#include "tests/support/test_http_server.hpp"

#include <algorithm>
#include <cctype>
#include <exception>

namespace egov::test {
namespace {

using net::ip::tcp;

std::string lowerCase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

constexpr std::size_t kBodyLimit = 64 * 1024 * 1024;

}  // namespace

std::string TestHttpRequest::header(std::string_view name) const {
  auto it = headers.find(lowerCase(name));
  return it == headers.end() ? std::string() : it->second;
}

TestHttpServer::TestHttpServer(TestHttpHandler handler, unsigned threads)
    : handler_(std::move(handler)), io_(static_cast<int>(threads)), acceptor_(io_) {
  const tcp::endpoint where(net::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(where.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(where);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  net::co_spawn(io_, acceptLoop(), net::detached);
  for (unsigned i = 0; i < std::max(1u, threads); ++i) {
    threads_.emplace_back([this] { io_.run(); });
  }
}

TestHttpServer::~TestHttpServer() {
  io_.stop();
  for (auto& thread : threads_) thread.join();
  // Sessions still suspended in a read are destroyed with io_, closing their sockets.
}

std::string TestHttpServer::url(std::string_view target) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(target);
}

std::vector<TestHttpRequest> TestHttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t TestHttpServer::requestCount() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

std::size_t TestHttpServer::connectionCount() const {
  std::lock_guard lock(mutex_);
  return connections_;
}

awaitable<void> TestHttpServer::acceptLoop() {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket =
        co_await acceptor_.async_accept(net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;
    {
      std::lock_guard lock(mutex_);
      ++connections_;
    }
    net::co_spawn(io_, serve(std::move(socket)), net::detached);
  }
}

TestHttpResponse TestHttpServer::answer(const TestHttpRequest& request) {
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
  }
  try {
    return handler_(request);
  } catch (const std::exception& e) {
    return TestHttpResponse{500, "text/plain", e.what(), false};
  }
}

awaitable<void> TestHttpServer::serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec) break;
    const HttpRequest& in = parser.get();

    TestHttpRequest request;
    request.method = std::string(in.method_string());
    request.target = std::string(in.target());
    for (const auto& field : in) {
      auto& value = request.headers[lowerCase(std::string(field.name_string()))];
      value += value.empty() ? std::string(field.value()) : ", " + std::string(field.value());
    }
    request.body = in.body();
    TestHttpResponse reply = answer(request);

    HttpResponse out{static_cast<http::status>(reply.status), in.version()};
    if (!reply.content_type.empty()) out.set(http::field::content_type, reply.content_type);
    out.body() = std::move(reply.body);
    out.keep_alive(in.keep_alive());
    if (reply.chunked) {
      out.chunked(true);
    } else {
      out.prepare_payload();
    }
    co_await http::async_write(stream, out, net::redirect_error(net::use_awaitable, ec));
    if (ec || !out.keep_alive()) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

unsigned short closedLocalPort() {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  const unsigned short port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

}  // namespace egov::test
