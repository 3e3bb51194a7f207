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
  auto spec = buildHttpRequest(config_, request.exchange, request.body);
  if (!spec) {
    core::Error error = std::move(spec).error();
    error.message = name() + ": " + error.message;
    co_return error;
  }
  // A deadline already passed sends nothing: the caller would not wait for the answer.
  auto reply = co_await performWithin(*loop_, std::move(*spec), request.deadline, config_.timeout,
                                      config_.connect_timeout, name());
  if (!reply) co_return std::move(reply).error();
  co_return readHttpReply(*reply, config_, name());
}

awaitable<core::Result<HttpReply>> performWithin(CurlMultiLoop& loop, HttpRequestSpec spec,
                                                 core::Clock::time_point deadline,
                                                 std::chrono::milliseconds timeout,
                                                 std::chrono::milliseconds connect_timeout,
                                                 const std::string& name) {
  const auto now = core::Clock::now();
  if (deadline <= now) {
    co_return core::makeError(core::ErrorKind::deadline_exceeded,
                              name + ": deadline passed before the call");
  }
  // Rounded up, so that a deadline less than 1 ms away still gets a (1 ms) chance.
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
  const bool deadline_binds = left < timeout;
  spec.timeout = deadline_binds ? left : timeout;
  spec.connect_timeout = std::min(connect_timeout, spec.timeout);
  auto reply = co_await loop.perform(std::move(spec));
  if (reply) co_return reply;
  core::Error error = std::move(reply).error();
  // The loop reports any expired limit as deadline_exceeded; when the limit was the
  // endpoint's own timeout, the back-end was merely slow, and a retry may succeed.
  if (error.kind == core::ErrorKind::deadline_exceeded && !deadline_binds) {
    error.kind = core::ErrorKind::backend_unavailable;
  }
  error.message = name + ": " + error.message;
  co_return error;
}

}  // namespace egov::adapters::http
