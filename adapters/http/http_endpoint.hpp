// The `http` adapter's endpoint: one outbound REST back-end called through the shared curl
// multi loop, so a call suspends its coroutine instead of blocking the I/O thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "adapters/http/curl_multi_loop.hpp"
#include "adapters/http/http_config.hpp"
#include "core/engine/endpoint.hpp"

namespace egov::adapters::http {

// Sends `spec` through `loop` with timeout = min(timeout, time left to `deadline`). An
// expired limit of the endpoint's own is backend_unavailable (a slow back-end: retryable),
// the deadline's is deadline_exceeded. Errors are prefixed with `name`. Shared with soap.
awaitable<core::Result<HttpReply>> performWithin(CurlMultiLoop& loop, HttpRequestSpec spec,
                                                 core::Clock::time_point deadline,
                                                 std::chrono::milliseconds timeout,
                                                 std::chrono::milliseconds connect_timeout,
                                                 const std::string& name);

class HttpEndpoint final : public core::Endpoint {
 public:
  // `loop` is shared by every http endpoint of every config generation.
  HttpEndpoint(std::string name, HttpConfig config, std::shared_ptr<CurlMultiLoop> loop);

  // Runs on the caller's executor, and resumes there when the transfer ends. The endpoint
  // must stay alive until the returned awaitable completes.
  awaitable<core::Result<core::XmlDocPtr>> call(const core::CallRequest& request) override;

  const HttpConfig& config() const { return config_; }

 private:
  const HttpConfig config_;
  const std::shared_ptr<CurlMultiLoop> loop_;
};

}  // namespace egov::adapters::http
