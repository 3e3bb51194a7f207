#include "core/net/http_server.hpp"

#include <boost/asio/redirect_error.hpp>

#include "core/log/log.hpp"
#include "core/net/problem.hpp"

namespace egov::core {

HttpServer::HttpServer(net::io_context& io, RequestHandler handler, std::function<Limits()> limits)
    : io_(io), handler_(std::move(handler)), limits_(std::move(limits)), acceptor_(io) {}

unsigned short HttpServer::listen(const std::string& host, unsigned short port) {
  net::ip::tcp::endpoint endpoint(net::ip::make_address(host), port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
  return acceptor_.local_endpoint().port();
}

void HttpServer::start() {
  net::co_spawn(io_, acceptLoop(), net::detached);
}

void HttpServer::stopAccepting() {
  stopping_ = true;
  net::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
  std::lock_guard lock(readers_mutex_);
  for (const auto& [id, weak] : readers_) {
    if (auto stream = weak.lock()) {
      net::post(stream->get_executor(), [reader = weak] {
        if (auto s = reader.lock()) s->cancel();
      });
    }
  }
}

awaitable<void> HttpServer::acceptLoop() {
  while (!stopping_) {
    boost::system::error_code ec;
    // Each connection gets its own strand: its coroutine and its timers never run at once.
    net::ip::tcp::socket socket(net::make_strand(io_));
    co_await acceptor_.async_accept(socket, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      if (stopping_ || ec == net::error::operation_aborted) break;
      logEvent(LogLevel::warn, "accept failed", {{"error", ec.message()}});
      continue;
    }
    auto executor = socket.get_executor();
    net::co_spawn(executor, session(std::move(socket)), net::detached);
  }
}

namespace {

HttpResponse problemResponse(ErrorKind kind, std::string message) {
  HttpResponse response{static_cast<http::status>(httpStatus(kind)), 11};
  response.set(http::field::content_type, "application/problem+json");
  response.body() = problemJson(makeError(kind, std::move(message)), "");
  response.keep_alive(false);
  response.prepare_payload();
  return response;
}

}  // namespace

awaitable<void> HttpServer::session(net::ip::tcp::socket socket) {
  ++active_;
  auto stream_ptr = std::make_shared<beast::tcp_stream>(std::move(socket));
  auto& stream = *stream_ptr;
  std::uint64_t reader_id = 0;
  {
    std::lock_guard lock(readers_mutex_);
    reader_id = next_reader_++;
  }
  // Registration and the stopping_ check share the mutex with stopAccepting(), so a read
  // either starts before a drain (and is cancelled by it) or not at all.
  auto set_reading = [&](bool reading) {
    std::lock_guard lock(readers_mutex_);
    if (!reading) return readers_.erase(reader_id) > 0;
    if (stopping_) return false;
    readers_[reader_id] = stream_ptr;
    return true;
  };
  beast::flat_buffer buffer;
  const Limits limits = limits_();
  bool first = true;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
    boost::system::error_code ec;
    // Waiting for the next request of a kept-alive connection is idle time; once bytes
    // arrive the whole request must come within the read timeout.
    stream.expires_after(first || buffer.size() > 0 ? limits.read_timeout : limits.idle_timeout);
    first = false;
    if (!set_reading(true)) break;
    co_await http::async_read_header(stream, buffer, parser,
                                     net::redirect_error(net::use_awaitable, ec));
    bool too_many_headers = false;
    if (!ec) {
      const auto& header = parser.get();
      too_many_headers = static_cast<std::size_t>(std::distance(header.begin(), header.end())) >
                         limits.max_headers;
    }
    if (!ec && !too_many_headers) {
      stream.expires_after(limits.read_timeout);
      co_await http::async_read(stream, buffer, parser,
                                net::redirect_error(net::use_awaitable, ec));
    }
    set_reading(false);
    if (ec || too_many_headers) {
      std::optional<HttpResponse> refusal;
      if (too_many_headers) {
        refusal =
            problemResponse(ErrorKind::bad_request,
                            "more than " + std::to_string(limits.max_headers) + " header fields");
        refusal->result(http::status::request_header_fields_too_large);
      } else if (ec == http::error::body_limit) {
        refusal =
            problemResponse(ErrorKind::payload_too_large,
                            "body larger than " + std::to_string(limits.max_body_bytes) + " bytes");
      } else if (ec == http::error::header_limit) {
        refusal = problemResponse(ErrorKind::bad_request, "request headers too large");
        refusal->result(http::status::request_header_fields_too_large);
      } else if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
                 ec != net::error::operation_aborted && ec != net::error::connection_reset &&
                 ec != net::error::eof) {
        refusal = problemResponse(ErrorKind::bad_request, "malformed HTTP request");
      }
      if (refusal) {
        stream.expires_after(limits.read_timeout);
        co_await http::async_write(stream, *refusal, net::redirect_error(net::use_awaitable, ec));
      }
      break;
    }
    HttpRequest request = parser.release();
    const bool keep_alive = request.keep_alive();
    HttpResponse response = co_await handler_(std::move(request));
    if (stopping_) response.keep_alive(false);
    stream.expires_after(limits.read_timeout);
    co_await http::async_write(stream, response, net::redirect_error(net::use_awaitable, ec));
    if (ec || !keep_alive || !response.keep_alive()) break;
  }
  set_reading(false);
  boost::system::error_code ignored;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  --active_;
}

}  // namespace egov::core
