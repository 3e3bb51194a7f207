#include "adapters/soap/soap_endpoint.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "adapters/http/http_endpoint.hpp"
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

  // The time left is measured after signing, which may have waited for a worker.
  auto reply = co_await http::performWithin(*loop_, std::move(*spec), request.deadline,
                                            config_.timeout, config_.connect_timeout, name());
  if (!reply) co_return std::move(reply).error();
  auto read = [&] { return readSoapReply(*reply, config_, name()); };
  if (verifies) co_return co_await core::runOn(workers_, read);
  co_return read();
}

}  // namespace egov::adapters::soap
