#include "adapters/http/curl_multi_loop.hpp"

#include <algorithm>
#include <new>
#include <optional>
#include <stdexcept>

#include "core/metrics/metrics.hpp"

namespace egov::adapters::http {
namespace {

// curl_multi_poll also wakes for curl's own timers and for curl_multi_wakeup(), so this only
// bounds how long a lost wakeup could go unnoticed.
constexpr int kPollTimeoutMs = 1000;
// Idle easy handles kept for reuse; beyond that a finished handle is freed.
constexpr std::size_t kMaxFreeEasyHandles = 32;
// Idle connections the multi handle keeps for reuse, over every back-end. Without a fixed
// size curl keeps 4 x the easy handles *currently added*, which drops as finished transfers
// are removed: under load connections were closed and opened again (B1 at 16 connections: a
// new TCP connection to the back-end every ~21 calls; strace in BENCHMARKS.md).
constexpr long kMaxIdleConnections = 256;
constexpr const char* kInflightGauge = "egov_http_inflight";

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

// Where the write callback puts the response body. Plain data, so that the C callback
// needs nothing that can throw except the append it guards.
struct ResponseSink {
  std::string body;
  std::uint64_t limit = 0;
  bool too_large = false;
  bool out_of_memory = false;
};

// Returning less than size * count makes curl stop the transfer with CURLE_WRITE_ERROR.
std::size_t onResponseData(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto* sink = static_cast<ResponseSink*>(user);
  const std::size_t n = size * count;
  if (sink->body.size() + n > sink->limit) {
    sink->too_large = true;
    return 0;
  }
  try {
    sink->body.append(data, n);
  } catch (...) {
    sink->out_of_memory = true;
    return 0;
  }
  return n;
}

core::Error curlFailure(core::ErrorKind kind, const char* what, CURLcode code) {
  return core::makeError(kind, std::string(what) + ": " + curl_easy_strerror(code));
}

}  // namespace

struct CurlMultiLoop::Transfer {
  HttpRequestSpec spec;
  std::unique_ptr<Completion> completion;
  EasyPtr easy;
  SlistPtr headers;  // curl keeps the pointer until the handle is reset
  ResponseSink sink;
  char error_text[CURL_ERROR_SIZE] = {};
};

CurlMultiLoop::CurlMultiLoop(core::Metrics& metrics)
    : metrics_(metrics), multi_(curl_multi_init()) {
  if (!multi_) throw std::runtime_error("curl_multi_init failed");
  curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS, kMaxIdleConnections);
  metrics_.declareGauge(kInflightGauge, "HTTP transfers queued or in flight in the curl loop.");
  publishInflight();
  free_easy_.reserve(kMaxFreeEasyHandles);  // so that recycle() never allocates
  thread_ = std::thread([this] { run(); });
}

CurlMultiLoop::~CurlMultiLoop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  curl_multi_wakeup(multi_.get());
  thread_.join();
}

std::size_t CurlMultiLoop::inflight() const {
  std::lock_guard lock(mutex_);
  return inflight_;
}

void CurlMultiLoop::publishInflight() {
  // Called with mutex_ held (or before the thread starts), so values are published in order.
  metrics_.set(kInflightGauge, {}, static_cast<double>(inflight_));
}

void CurlMultiLoop::submit(HttpRequestSpec spec, std::unique_ptr<Completion> completion) {
  auto transfer = std::make_unique<Transfer>();
  transfer->spec = std::move(spec);
  transfer->completion = std::move(completion);
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back(std::move(transfer));
      ++inflight_;
      publishInflight();
    }
  }
  if (transfer) {
    transfer->completion->complete(
        core::makeError(core::ErrorKind::unavailable, "the HTTP client is shutting down"));
    return;
  }
  curl_multi_wakeup(multi_.get());
}

CurlMultiLoop::EasyPtr CurlMultiLoop::takeEasyHandle() {
  if (free_easy_.empty()) return EasyPtr(curl_easy_init());
  EasyPtr easy = std::move(free_easy_.back());
  free_easy_.pop_back();
  return easy;
}

void CurlMultiLoop::recycle(EasyPtr easy) {
  if (free_easy_.size() >= kMaxFreeEasyHandles) return;
  // Connections, DNS and TLS sessions live in the multi handle; the reset only drops options.
  curl_easy_reset(easy.get());
  free_easy_.push_back(std::move(easy));
}

std::optional<core::Error> CurlMultiLoop::start(std::unique_ptr<Transfer>& transfer) {
  Transfer& t = *transfer;
  const HttpRequestSpec& spec = t.spec;
  t.easy = takeEasyHandle();
  if (!t.easy) return core::makeError(core::ErrorKind::internal, "curl_easy_init failed");
  CURL* easy = t.easy.get();

  auto append = [&](const std::string& line) {
    curl_slist* head = curl_slist_append(t.headers.get(), line.c_str());
    if (!head) throw std::bad_alloc();
    if (!t.headers) t.headers.reset(head);  // later appends return the same head
  };
  for (const auto& header : spec.headers) append(header);
  // Without this curl waits up to a second for "100 Continue" before sending larger bodies.
  append("Expect:");

  t.sink.limit = spec.max_response_bytes;
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, option, value);
  };
  set(CURLOPT_URL, spec.url.c_str());
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  set(CURLOPT_USERAGENT, "egovbus/" EGOV_VERSION);
  // curl reads 0 as "no timeout": never pass less than 1 ms.
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<std::int64_t>(1, spec.timeout.count())));
  set(CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(std::max<std::int64_t>(1, spec.connect_timeout.count())));
  set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(spec.max_response_bytes));
  set(CURLOPT_WRITEFUNCTION, &onResponseData);
  set(CURLOPT_WRITEDATA, static_cast<void*>(&t.sink));
  set(CURLOPT_ERRORBUFFER, t.error_text);
  set(CURLOPT_HTTPHEADER, t.headers.get());
  set(CURLOPT_SSL_VERIFYPEER, spec.tls.verify ? 1L : 0L);
  set(CURLOPT_SSL_VERIFYHOST, spec.tls.verify ? 2L : 0L);
  if (!spec.tls.ca_file.empty()) set(CURLOPT_CAINFO, spec.tls.ca_file.c_str());
  if (!spec.tls.client_cert.empty()) set(CURLOPT_SSLCERT, spec.tls.client_cert.c_str());
  if (!spec.tls.client_key.empty()) set(CURLOPT_SSLKEY, spec.tls.client_key.c_str());

  if (spec.method == "GET") {
    set(CURLOPT_HTTPGET, 1L);
  } else {
    // POSTFIELDS (even empty) keeps curl from reading a body from stdin.
    if (!spec.body.empty() || spec.method == "POST") {
      set(CURLOPT_POSTFIELDS, spec.body.data());
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(spec.body.size()));
    }
    if (spec.method != "POST") set(CURLOPT_CUSTOMREQUEST, spec.method.c_str());
  }
  if (rc != CURLE_OK) return curlFailure(core::ErrorKind::internal, "curl_easy_setopt", rc);

  // The slot exists before curl knows the handle, so a failed allocation cannot leave curl
  // holding a transfer nobody owns.
  auto slot = active_.emplace(easy, nullptr).first;
  CURLMcode added = curl_multi_add_handle(multi_.get(), easy);
  if (added != CURLM_OK) {
    active_.erase(slot);
    return core::makeError(core::ErrorKind::internal,
                           std::string("curl_multi_add_handle: ") + curl_multi_strerror(added));
  }
  slot->second = std::move(transfer);
  return std::nullopt;
}

void CurlMultiLoop::fail(Transfer& transfer, core::Error error) {
  {
    std::lock_guard lock(mutex_);
    --inflight_;
    publishInflight();
  }
  transfer.completion->complete(std::move(error));
}

void CurlMultiLoop::finish(CURL* easy, CURLcode code) {
  auto it = active_.find(easy);
  if (it == active_.end()) return;
  std::unique_ptr<Transfer> transfer = std::move(it->second);
  active_.erase(it);
  curl_multi_remove_handle(multi_.get(), easy);
  Transfer& t = *transfer;

  auto result = [&]() -> core::Result<HttpReply> {
    if (code == CURLE_OK) {
      HttpReply reply;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &reply.status);
      char* content_type = nullptr;
      curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &content_type);
      if (content_type) reply.content_type = content_type;
      curl_header* retry_after = nullptr;
      if (curl_easy_header(easy, "Retry-After", 0, CURLH_HEADER, -1, &retry_after) == CURLHE_OK &&
          retry_after->value) {
        reply.retry_after = retry_after->value;
      }
      reply.body = std::move(t.sink.body);
      return reply;
    }
    if (t.sink.too_large || code == CURLE_FILESIZE_EXCEEDED) {
      return core::makeError(
          core::ErrorKind::backend_invalid,
          "response larger than " + std::to_string(t.spec.max_response_bytes) + " bytes");
    }
    if (t.sink.out_of_memory) {
      return core::makeError(core::ErrorKind::internal, "out of memory reading the response");
    }
    if (code == CURLE_OPERATION_TIMEDOUT) {
      curl_off_t micros = 0;
      curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &micros);
      return core::makeError(core::ErrorKind::deadline_exceeded,
                             "timeout after " + std::to_string(micros / 1000) + " ms");
    }
    return core::makeError(
        core::ErrorKind::backend_unavailable,
        t.error_text[0] ? std::string(t.error_text) : std::string(curl_easy_strerror(code)));
  }();

  recycle(std::move(t.easy));
  {
    std::lock_guard lock(mutex_);
    --inflight_;
    publishInflight();
  }
  t.completion->complete(std::move(result));
}

void CurlMultiLoop::run() {
  for (;;) {
    std::deque<std::unique_ptr<Transfer>> incoming;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      incoming.swap(queue_);
    }
    for (auto& transfer : incoming) {
      std::optional<core::Error> failed;
      try {
        failed = start(transfer);
      } catch (const std::bad_alloc&) {
        failed = core::makeError(core::ErrorKind::internal, "out of memory");
      }
      if (failed) fail(*transfer, std::move(*failed));
    }

    int running = 0;
    curl_multi_perform(multi_.get(), &running);
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_.get(), &left)) {
      if (message->msg == CURLMSG_DONE) finish(message->easy_handle, message->data.result);
    }
    if (curl_multi_poll(multi_.get(), nullptr, 0, kPollTimeoutMs, nullptr) != CURLM_OK) {
      // Should not happen; do not spin if it does.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  const auto stopped = [] {
    return core::makeError(core::ErrorKind::unavailable, "the HTTP client is shutting down");
  };
  for (auto& [easy, transfer] : active_) {
    curl_multi_remove_handle(multi_.get(), easy);
    transfer->completion->complete(stopped());
  }
  active_.clear();
  std::lock_guard lock(mutex_);
  for (auto& transfer : queue_) transfer->completion->complete(stopped());
  queue_.clear();
  inflight_ = 0;
  publishInflight();
}

}  // namespace egov::adapters::http
