#include "core/net/http_server.hpp"

#include <boost/asio/redirect_error.hpp>

#include "core/log/log.hpp"
#include "core/net/problem.hpp"
#include "core/security/tls.hpp"

namespace egov::core {

HttpServer::HttpServer(net::io_context& io, PeerRequestHandler handler,
                       std::function<Limits()> limits)
    : io_(io), handler_(std::move(handler)), limits_(std::move(limits)), acceptor_(io) {}

HttpServer::HttpServer(net::io_context& io, RequestHandler handler, std::function<Limits()> limits)
    : HttpServer(io,
                 PeerRequestHandler([handler = std::move(handler)](HttpRequest request,
                                                                   std::optional<PeerCertificate>) {
                   return handler(std::move(request));
                 }),
                 std::move(limits)) {}

void HttpServer::enableTls(const TlsConfig& tls) {
  tls_ = makeServerTlsContext(tls);
}

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
    net::any_io_executor executor = io_.get_executor();
    std::size_t lane = 0;
    if (lanes_ && !lanes_->empty()) {
      lane = lanes_->nextIndex();
      executor = lanes_->at(lane);
    }
    net::ip::tcp::socket socket(net::make_strand(executor));
    co_await acceptor_.async_accept(socket, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      if (stopping_ || ec == net::error::operation_aborted) break;
      logEvent(LogLevel::warn, "accept failed", {{"error", ec.message()}});
      continue;
    }
    auto strand = socket.get_executor();
    net::co_spawn(strand, session(std::move(socket), lane), net::detached);
  }
}

namespace {

HttpResponse problemResponse(const Error& error, http::status status) {
  HttpResponse response{status, 11};
  response.set(http::field::content_type, "application/problem+json");
  response.body() = problemJson(error, "");
  response.prepare_payload();
  return response;
}

// What the parser read of a refused request: its start line and the fields parsed so far
// (Beast parses the start line before it checks the header and body limits); nothing when
// the start line itself was malformed.
HttpRequest partialRequest(const http::request_parser<http::string_body>& parser) {
  if (parser.is_header_done() || !parser.get().target().empty()) {
    return HttpRequest(parser.get().base());
  }
  return HttpRequest();
}

}  // namespace

awaitable<HttpResponse> HttpServer::handle(HttpRequest request,
                                           const std::optional<PeerCertificate>& peer,
                                           std::size_t home) {
  if (!lanes_ || lanes_->size() < 2) co_return co_await handler_(std::move(request), peer);
  const std::size_t lane = lanes_->idleOr(home);
  auto busy = lanes_->handling(lane);
  if (lane == home) co_return co_await handler_(std::move(request), peer);
  // Each lane's io_context has one thread, so its executor serialises the handler as the
  // connection's strand would; the connection's coroutine resumes on its strand.
  co_return co_await net::co_spawn(lanes_->at(lane), handler_(std::move(request), peer),
                                   net::use_awaitable);
}

awaitable<void> HttpServer::session(net::ip::tcp::socket socket, std::size_t lane) {
  ++active_;
  if (!tls_) {
    co_await serve(std::make_shared<beast::tcp_stream>(std::move(socket)), std::nullopt, lane);
  } else {
    auto stream = std::make_shared<beast::ssl_stream<beast::tcp_stream>>(std::move(socket), *tls_);
    beast::get_lowest_layer(*stream).expires_after(limits_().read_timeout);
    boost::system::error_code ec;
    co_await stream->async_handshake(net::ssl::stream_base::server,
                                     net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      // No client certificate, one from another CA, an old protocol version: the
      // handshake fails and the connection closes without a request being read.
      logEvent(LogLevel::info, "TLS handshake refused", {{"error", ec.message()}});
    } else {
      co_await serve(stream, peerCertificate(stream->native_handle()), lane);
    }
  }
  --active_;
}

template <class Stream>
awaitable<void> HttpServer::serve(std::shared_ptr<Stream> stream_ptr,
                                  std::optional<PeerCertificate> peer, std::size_t lane) {
  auto& stream = *stream_ptr;
  auto& tcp = beast::get_lowest_layer(stream);
  // The drain cancels reads through the TCP layer; it shares ownership with the stream.
  std::shared_ptr<beast::tcp_stream> tcp_ptr(stream_ptr, &tcp);
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
    readers_[reader_id] = tcp_ptr;
    return true;
  };
  beast::flat_buffer buffer;
  // Room for a usual request in one read (Beast reads what fits, at least 512 bytes: a
  // 700-byte request took two reads and a wait in between).
  buffer.reserve(4096);
  const Limits limits = limits_();
  bool first = true;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
    boost::system::error_code ec;
    // Waiting for the next request of a kept-alive connection is idle time; once bytes
    // arrive the whole request must come within the read timeout.
    tcp.expires_after(first || buffer.size() > 0 ? limits.read_timeout : limits.idle_timeout);
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
      tcp.expires_after(limits.read_timeout);
      co_await http::async_read(stream, buffer, parser,
                                net::redirect_error(net::use_awaitable, ec));
    }
    set_reading(false);
    if (ec || too_many_headers) {
      // A timeout or a vanished peer gets no answer: the stream is closed already.
      std::optional<Error> error;
      auto status = http::status::bad_request;
      if (too_many_headers) {
        error = makeError(ErrorKind::bad_request,
                          "more than " + std::to_string(limits.max_headers) + " header fields");
        status = http::status::request_header_fields_too_large;
      } else if (ec == http::error::body_limit) {
        error = makeError(ErrorKind::payload_too_large,
                          "body larger than " + std::to_string(limits.max_body_bytes) + " bytes");
        status = http::status::payload_too_large;
      } else if (ec == http::error::header_limit) {
        error = makeError(ErrorKind::bad_request, "request headers too large");
        status = http::status::request_header_fields_too_large;
      } else if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
                 ec != net::error::operation_aborted && ec != net::error::connection_reset &&
                 ec != net::error::eof && ec != net::ssl::error::stream_truncated) {
        error = makeError(ErrorKind::bad_request, "malformed HTTP request");
      }
      std::optional<HttpResponse> refusal;
      if (error) {
        refusal = refusal_ ? refusal_(partialRequest(parser), *error, status)
                           : problemResponse(*error, status);
        refusal->keep_alive(false);
      }
      if (refusal) {
        tcp.expires_after(limits.read_timeout);
        co_await http::async_write(stream, *refusal, net::redirect_error(net::use_awaitable, ec));
      }
      break;
    }
    HttpRequest request = parser.release();
    const bool keep_alive = request.keep_alive();
    HttpResponse response = co_await handle(std::move(request), peer, lane);
    if (stopping_) response.keep_alive(false);
    tcp.expires_after(limits.read_timeout);
    co_await http::async_write(stream, response, net::redirect_error(net::use_awaitable, ec));
    if (ec || !keep_alive || !response.keep_alive()) break;
  }
  set_reading(false);
  boost::system::error_code ignored;
  if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
    tcp.expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(net::redirect_error(net::use_awaitable, ignored));
  }
  tcp.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace egov::core
