// The `soap` adapter's endpoint: one SOAP 1.1 or 1.2 back-end (document/literal), called
// through the http adapter's shared curl multi loop, with optional WS-Security.
#pragma once

#include <memory>
#include <string>

#include "adapters/http/curl_multi_loop.hpp"
#include "adapters/soap/soap_config.hpp"
#include "core/engine/endpoint.hpp"

namespace egov::adapters::soap {

class SoapEndpoint final : public core::Endpoint {
 public:
  // `loop` is the process's one curl loop; `workers` the bounded pool for blocking or CPU-heavy
  // work, where signing and signature verification run.
  SoapEndpoint(std::string name, SoapConfig config, std::shared_ptr<http::CurlMultiLoop> loop,
               net::any_io_executor workers);

  // Runs on the caller's executor and resumes there. Without signatures the envelope is built
  // and read inline (like a `map` step, bounded by the body limits); with `wssec.sign` the
  // request, and with `wssec.verify_response` the reply, is handled on the worker pool, since
  // an RSA operation would hold the I/O thread for about a millisecond. The endpoint must stay
  // alive until the returned awaitable completes.
  awaitable<core::Result<core::XmlDocPtr>> call(const core::CallRequest& request) override;

  const SoapConfig& config() const { return config_; }

 private:
  const SoapConfig config_;
  const std::shared_ptr<http::CurlMultiLoop> loop_;
  const net::any_io_executor workers_;
};

}  // namespace egov::adapters::soap
