#include "adapters/soap/soap_endpoint.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "adapters/soap/soap_message.hpp"
#include "core/net/run_on.hpp"

namespace egov::adapters::soap {
namespace {}  // namespace

SoapEndpoint::SoapEndpoint(std::string name, SoapConfig config,
                           std::shared_ptr<http::CurlMultiLoop> loop, net::any_io_executor workers)
    : core::Endpoint(std::move(name), "soap"),
      config_(std::move(config)),
      loop_(std::move(loop)),
      workers_(std::move(workers)) {}

awaitable<core::Result<core::XmlDocPtr>> SoapEndpoint::call(const core::CallRequest& request) {
  // Outcomes and durations are counted by the route runner, for every adapter alike.
  if (request.deadline <= core::Clock::now()) {
    co_return core::makeError(core::ErrorKind::deadline_exceeded,
                              name() + ": deadline passed before the call");
  }
  const bool signs = config_.wssec && config_.wssec->sign;
  const bool verifies = config_.wssec && config_.wssec->verify_response;

  auto build = [&] {
    return buildSoapRequest(config_, request.exchange, request.body,
                            std::chrono::system_clock::now());
  };
  // Not `signs ? co_await ... : build()`: with g++ 12 that conditional handed a corrupted
  // request to the curl loop (co_await inside ?: is a known weak spot of its coroutines).
  std::optional<core::Result<http::HttpRequestSpec>> built;
  if (signs) {
    built.emplace(co_await core::runOn(workers_, build));
  } else {
    built.emplace(build());
  }
  auto& spec = *built;
  if (!spec) {
    core::Error error = std::move(spec).error();
    error.message = name() + ": " + error.message;
    co_return error;
  }

  // Measured after signing, which may have waited for a worker. Rounded up, so that a
  // deadline less than 1 ms away still gets a (1 ms) chance.
  const auto now = core::Clock::now();
  if (request.deadline <= now) {
    co_return core::makeError(core::ErrorKind::deadline_exceeded,
                              name() + ": deadline passed before the call");
  }
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(request.deadline - now);
  const bool deadline_binds = left < config_.timeout;
  spec->timeout = deadline_binds ? left : config_.timeout;
  spec->connect_timeout = std::min(config_.connect_timeout, spec->timeout);

  auto reply = co_await loop_->perform(std::move(*spec));
  if (!reply) {
    core::Error error = std::move(reply).error();
    // An expired limit of the endpoint's own means a slow back-end: a retry may succeed.
    if (error.kind == core::ErrorKind::deadline_exceeded && !deadline_binds) {
      error.kind = core::ErrorKind::backend_unavailable;
    }
    error.message = name() + ": " + error.message;
    co_return error;
  }
  auto read = [&] { return readSoapReply(*reply, config_, name()); };
  if (verifies) co_return co_await core::runOn(workers_, read);
  co_return read();
}

}  // namespace egov::adapters::soap
