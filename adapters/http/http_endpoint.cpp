#include "adapters/http/http_endpoint.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "adapters/http/http_message.hpp"

namespace egov::adapters::http {
HttpEndpoint::HttpEndpoint(std::string name, HttpConfig config, std::shared_ptr<CurlMultiLoop> loop)
    : core::Endpoint(std::move(name), "http"), config_(std::move(config)), loop_(std::move(loop)) {}

awaitable<core::Result<core::XmlDocPtr>> HttpEndpoint::call(const core::CallRequest& request) {
  // Outcomes and durations are counted by the route runner, for every adapter alike.
  const auto started = core::Clock::now();
  if (request.deadline <= started) {
    // Not sent at all: the caller would not wait for the answer anyway.
    co_return core::makeError(core::ErrorKind::deadline_exceeded,
                              name() + ": deadline passed before the call");
  }
  co_return co_await transfer(request, started);
}

awaitable<core::Result<core::XmlDocPtr>> HttpEndpoint::transfer(const core::CallRequest& request,
                                                                core::Clock::time_point now) {
  auto spec = buildHttpRequest(config_, request.exchange, request.body);
  if (!spec) {
    core::Error error = std::move(spec).error();
    error.message = name() + ": " + error.message;
    co_return error;
  }
  // Rounded up, so that a deadline less than 1 ms away still gets a (1 ms) chance.
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(request.deadline - now);
  const bool deadline_binds = left < config_.timeout;
  spec->timeout = deadline_binds ? left : config_.timeout;
  spec->connect_timeout = std::min(config_.connect_timeout, spec->timeout);

  auto reply = co_await loop_->perform(std::move(*spec));
  if (!reply) {
    core::Error error = std::move(reply).error();
    // The loop reports any expired limit as deadline_exceeded; when the limit was the
    // endpoint's own timeout, the back-end was merely slow, and a retry may succeed.
    if (error.kind == core::ErrorKind::deadline_exceeded && !deadline_binds) {
      error.kind = core::ErrorKind::backend_unavailable;
    }
    error.message = name() + ": " + error.message;
    co_return error;
  }
  co_return readHttpReply(*reply, config_, name());
}

}  // namespace egov::adapters::http
