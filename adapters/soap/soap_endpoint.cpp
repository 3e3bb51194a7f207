#include "adapters/soap/soap_endpoint.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "adapters/soap/soap_message.hpp"

namespace egov::adapters::soap {
namespace {

// Runs `work` (returning a core::Result) on `workers` and resumes the awaiting coroutine on its
// own executor with the result. Whatever `work` refers to must outlive the co_await, which
// holds for the caller's locals since the coroutine is suspended meanwhile.
template <class Work>
auto onWorkers(const net::any_io_executor& workers, Work work) {
  using R = std::invoke_result_t<Work&>;
  return net::async_initiate<const net::use_awaitable_t<>, void(R)>(
      [](auto handler, const net::any_io_executor& pool, Work task) {
        // The caller's io_context must not run out of work while the task is on the pool.
        auto home = net::prefer(net::get_associated_executor(handler),
                                net::execution::outstanding_work.tracked);
        net::post(pool, [handler = std::move(handler), home = std::move(home),
                         task = std::move(task)]() mutable {
          std::optional<R> result;
          try {
            result.emplace(task());
          } catch (const std::exception& e) {
            // Exceptions stay on this side of the pool: the data path returns errors.
            result.emplace(core::makeError(core::ErrorKind::internal, e.what()));
          }
          net::post(home, [handler = std::move(handler), value = std::move(*result)]() mutable {
            std::move(handler)(std::move(value));
          });
        });
      },
      net::use_awaitable, workers, std::move(work));
}

}  // namespace

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
    built.emplace(co_await onWorkers(workers_, build));
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
  if (verifies) co_return co_await onWorkers(workers_, read);
  co_return read();
}

}  // namespace egov::adapters::soap
