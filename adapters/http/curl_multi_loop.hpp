// One libcurl multi handle driven by its own thread, exposed to coroutines as an Asio
// asynchronous operation, so outbound HTTP never blocks an I/O thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <curl/curl.h>

#include "core/common/result.hpp"
#include "core/net/asio.hpp"
#include "core/net/completion.hpp"

namespace egov::core {
class Metrics;
}

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
  // Starts the loop thread. Requires curl_global_init() (adapters::initLibraries) first.
  // Throws std::runtime_error if curl cannot create its multi handle.
  explicit CurlMultiLoop(core::Metrics& metrics);
  // Stops the thread; transfers still in flight complete with ErrorKind::unavailable.
  // Their handlers are posted to their executors, which must therefore still exist.
  ~CurlMultiLoop();
  CurlMultiLoop(const CurlMultiLoop&) = delete;
  CurlMultiLoop& operator=(const CurlMultiLoop&) = delete;

  // Initiates a transfer; the handler, void(core::Result<HttpReply>), runs on its associated
  // executor. May be called from any thread; the loop must outlive the operation.
  template <class CompletionToken>
  auto asyncPerform(HttpRequestSpec spec, CompletionToken&& token) {
    return net::async_initiate<CompletionToken, void(core::Result<HttpReply>)>(
        [this](auto handler, HttpRequestSpec request) {
          submit(std::move(request), makeCompletion(std::move(handler)));
        },
        token, std::move(spec));
  }

  awaitable<core::Result<HttpReply>> perform(HttpRequestSpec spec) {
    return asyncPerform(std::move(spec), net::use_awaitable);
  }

  // Transfers queued or in flight (for tests and the inflight gauge).
  std::size_t inflight() const;

 private:
  using Completion = core::Completion<core::Result<HttpReply>>;
  template <class Handler>
  static std::unique_ptr<Completion> makeCompletion(Handler handler) {
    return core::makeCompletion<core::Result<HttpReply>>(std::move(handler));
  }

  struct Transfer;
  struct EasyDeleter {
    void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
  };
  struct MultiDeleter {
    void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
  };
  using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;

  void submit(HttpRequestSpec spec, std::unique_ptr<Completion> completion);
  void run();  // the loop thread
  // Hands the transfer to curl (moving it into active_), or says why it could not.
  std::optional<core::Error> start(std::unique_ptr<Transfer>& transfer);
  void fail(Transfer& transfer, core::Error error);
  void finish(CURL* easy, CURLcode code);
  EasyPtr takeEasyHandle();
  void recycle(EasyPtr easy);
  void publishInflight();

  core::Metrics& metrics_;
  std::unique_ptr<CURLM, MultiDeleter> multi_;

  mutable std::mutex mutex_;  // guards queue_, stopping_ and inflight_
  std::deque<std::unique_ptr<Transfer>> queue_;
  bool stopping_ = false;
  std::size_t inflight_ = 0;

  // Loop thread only.
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active_;
  std::vector<EasyPtr> free_easy_;

  std::thread thread_;
};

}  // namespace egov::adapters::http
