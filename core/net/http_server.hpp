// The HTTP/1.1 listener (Boost.Beast): accepts, reads requests with header and body limits
// and read/idle timeouts, hands each to a handler, writes the response, keeps connections
// alive. Runs on the io_context's threads; one coroutine per connection. With listen.tls
// every connection is TLS (Beast ssl_stream over OpenSSL), and with a client CA the client
// certificate it verified is handed to the handler with each request.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/config/bus_config.hpp"
#include "core/net/io_lanes.hpp"
#include "core/net/ssl.hpp"
#include "core/security/credentials.hpp"

namespace egov::core {

using RequestHandler = std::function<awaitable<HttpResponse>(HttpRequest)>;
using PeerRequestHandler =
    std::function<awaitable<HttpResponse>(HttpRequest, std::optional<PeerCertificate>)>;

// The answer to a request the listener refuses before any handler sees it (body larger than
// limits.max_body, header too large or with too many fields, malformed). `request` holds what
// the parser read: the start line and the fields parsed so far (Beast parses the start line
// before it checks the limits), an empty target when the start line itself was malformed;
// `error` says why and `status` is the HTTP status to answer (413, 431, 400). Keeps the server
// protocol-agnostic: the API answers a SOAP fault on an inbound SOAP path, problem+json elsewhere
// (ApiHandler::refuseUnread).
using RefusalResponder = std::function<HttpResponse(const HttpRequest& request, const Error& error,
                                                    http::status status)>;

class HttpServer {
 public:
  // Limits are read per connection from `limits()`, so a reload can change them.
  HttpServer(net::io_context& io, RequestHandler handler, std::function<Limits()> limits);
  HttpServer(net::io_context& io, PeerRequestHandler handler, std::function<Limits()> limits);

  // Serves TLS from now on (call before start()). Throws when the certificate, key or
  // client CA file does not load (control plane: start-up).
  void enableTls(const TlsConfig& tls);
  // Serves connections on these I/O contexts in turn (call before start()): with one
  // io_context per I/O thread a request's coroutine, its timers and the completions of its
  // calls all run on one thread, and no thread is woken to run another's handler. A request
  // read on a context that has requests in hand while another has none is handled on the
  // idle one (its handler and its calls run there; the response is written from the
  // connection's own). Without it, connections run on the io_context the server was made with.
  void setConnectionContexts(std::vector<net::any_io_executor> contexts) {
    lanes_.emplace(std::move(contexts));
  }
  // Replaces the default refusal (problem+json) (call before start()).
  void setRefusalResponder(RefusalResponder responder) { refusal_ = std::move(responder); }

  // Binds and listens; returns the bound port (useful with port 0). Throws on failure
  // (control plane: start-up).
  unsigned short listen(const std::string& host, unsigned short port);
  void start();

  // Stops accepting and closes connections waiting for a request; connections busy with
  // a request finish it, answer with `Connection: close` and close.
  void stopAccepting();
  std::size_t activeConnections() const { return active_.load(); }

 private:
  awaitable<void> acceptLoop();
  awaitable<void> session(net::ip::tcp::socket socket, std::size_t lane);
  template <class Stream>
  awaitable<void> serve(std::shared_ptr<Stream> stream, std::optional<PeerCertificate> peer,
                        std::size_t lane);
  // Runs the handler on the connection's lane, or on an idle one when its own has requests
  // in hand; resumes on the connection's strand.
  awaitable<HttpResponse> handle(HttpRequest request, const std::optional<PeerCertificate>& peer,
                                 std::size_t home);

  net::io_context& io_;
  std::optional<IoLanes> lanes_;  // setConnectionContexts
  PeerRequestHandler handler_;
  RefusalResponder refusal_;
  std::shared_ptr<net::ssl::context> tls_;
  std::function<Limits()> limits_;
  net::ip::tcp::acceptor acceptor_;
  std::atomic<std::size_t> active_{0};
  std::atomic<bool> stopping_{false};
  std::mutex readers_mutex_;
  std::uint64_t next_reader_ = 0;
  // Connections now waiting for (part of) a request, so a drain can cancel their read.
  std::map<std::uint64_t, std::weak_ptr<beast::tcp_stream>> readers_;
};

}  // namespace egov::core
