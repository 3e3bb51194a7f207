// One libcurl multi handle driven by Asio (curl's multi_socket API: curl tells which sockets to
// watch and when to wake it, Asio waits), exposed to coroutines as an asynchronous operation,
// so outbound HTTP never blocks an I/O thread.
//
// In `egovbus serve` the loop has one multi handle on each I/O thread's io_context (a strand of
// it), and a transfer goes to the one of the io_context its caller runs on: a call goes from
// the route's coroutine to curl and back without another thread. Without an io_context
// (egovbus check/test, adapter tests) it runs one of its own on a thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <curl/curl.h>

#include "core/common/result.hpp"
#include "core/net/asio.hpp"
#include "core/net/completion.hpp"

namespace egov::core {
class Metrics;
class RuntimeServices;
}  // namespace egov::core

namespace egov::adapters::http {

struct HttpTlsOptions {
  bool verify = true;
  std::string ca_file;      // empty: the system trust store
  std::string client_cert;  // PEM; empty: no client certificate
  std::string client_key;   // PEM; empty: the key is in client_cert or there is none
};

// Everything one transfer needs, fully resolved by the caller (the loop adds nothing).
struct HttpRequestSpec {
  std::string method = "POST";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent when non-empty
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds connect_timeout{3'000};
  std::uint64_t max_response_bytes = 10 * 1024 * 1024;
  HttpTlsOptions tls;
};

// Any answer the server gave, whatever its status: classifying it is the caller's job.
struct HttpReply {
  long status = 0;
  std::string content_type;  // as sent, empty when absent
  std::string body;
  std::string retry_after;  // the Retry-After header as sent, empty when absent
};

// Errors of perform():
//   deadline_exceeded   the transfer ran out of spec.timeout (or spec.connect_timeout);
//                       the caller knows whether that limit was its own or its deadline's;
//   backend_invalid     the response body is larger than spec.max_response_bytes;
//   backend_unavailable connection refused, DNS, TLS, reset... with curl's error text;
//   unavailable         the loop is shutting down; internal: out of memory, curl misuse.
class CurlMultiLoop {
 public:
  // Runs a multi handle on a strand of each of `io` (the bus's I/O contexts, one per I/O
  // thread); a transfer goes to the one whose io_context runs its handler, else to the
  // first. Requires curl_global_init() (adapters::initLibraries) first. Throws
  // std::runtime_error if curl cannot create a multi handle.
  CurlMultiLoop(std::vector<net::any_io_executor> io, core::Metrics& metrics);
  // The same on an io_context of its own, run by one thread of its own.
  explicit CurlMultiLoop(core::Metrics& metrics);
  // Transfers still queued or in flight complete with ErrorKind::unavailable; their handlers
  // are posted to their executors, which must therefore still exist. `io` need not be running
  // (`serve` stops it first); if it is, the loop's pending waits finish there as cancelled.
  ~CurlMultiLoop();
  CurlMultiLoop(const CurlMultiLoop&) = delete;
  CurlMultiLoop& operator=(const CurlMultiLoop&) = delete;

  // Initiates a transfer; the handler, void(core::Result<HttpReply>), runs on its associated
  // executor. May be called from any thread; the loop must outlive the operation.
  template <class CompletionToken>
  auto asyncPerform(HttpRequestSpec spec, CompletionToken&& token) {
    return net::async_initiate<CompletionToken, void(core::Result<HttpReply>)>(
        [this](auto handler, HttpRequestSpec request) {
          auto executor = net::get_associated_executor(handler);
          const void* context = &net::query(executor, net::execution::context);
          submit(std::move(request), context, makeCompletion(std::move(handler)));
        },
        token, std::move(spec));
  }

  awaitable<core::Result<HttpReply>> perform(HttpRequestSpec spec) {
    return asyncPerform(std::move(spec), net::use_awaitable);
  }

  // Transfers queued or in flight (for tests and the inflight gauge); the same on each of the
  // io_contexts, in the order the constructor got them.
  std::size_t inflight() const;
  std::vector<std::size_t> inflightByContext() const;

  using Completion = core::Completion<core::Result<HttpReply>>;
  struct State;  // a multi handle and everything its callbacks touch (curl_multi_loop.cpp)
  struct Gauge;  // the inflight gauge, summed over the States

 private:
  template <class Handler>
  static std::unique_ptr<Completion> makeCompletion(Handler handler) {
    return core::makeCompletion<core::Result<HttpReply>>(std::move(handler));
  }

  // `context`: the execution context of the caller's handler (its io_context, if any).
  void submit(HttpRequestSpec spec, const void* context, std::unique_ptr<Completion> completion);

  // Only without an outside io_context; declared first so that it is destroyed last.
  std::unique_ptr<net::io_context> own_io_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> own_work_;
  std::shared_ptr<Gauge> gauge_;
  // One per io_context, each also held by its pending handlers; contexts_[i] is the
  // execution context states_[i] runs on.
  std::vector<std::shared_ptr<State>> states_;
  std::vector<const void*> contexts_;
  std::thread own_thread_;
};

// The process's one loop (runtime.shared), on runtime.io() when the process has I/O
// contexts (egovbus serve), else on its own thread: what the http, soap and anpr factories use.
std::shared_ptr<CurlMultiLoop> sharedCurlMultiLoop(core::RuntimeServices& runtime);

}  // namespace egov::adapters::http
