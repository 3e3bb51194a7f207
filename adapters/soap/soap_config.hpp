// Typed settings of a `soap` endpoint and their parser.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapters/http/curl_multi_loop.hpp"
#include "adapters/soap/ws_security.hpp"
#include "core/config/config_node.hpp"
#include "core/schema/xsd_schema.hpp"

namespace egov::adapters::soap {

enum class SoapVersion { v11, v12 };

inline constexpr const char* kSoap11Ns = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr const char* kSoap12Ns = "http://www.w3.org/2003/05/soap-envelope";

inline const char* envelopeNamespace(SoapVersion version) {
  return version == SoapVersion::v11 ? kSoap11Ns : kSoap12Ns;
}

// What a SOAP fault from the back-end becomes: an error of the route (the default), or the
// reply body <fault xmlns="urn:egovbus:soap">, so that the route can `choose` on its code
// and map its detail.
enum class FaultHandling { error, reply };

inline constexpr const char* kSoapFaultNs = "urn:egovbus:soap";

struct SoapConfig {
  std::string url;  // http:// or https://, without fragment
  SoapVersion version = SoapVersion::v11;
  std::string action;  // SOAPAction (1.1) or the action parameter (1.2); may be empty
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds connect_timeout{3'000};
  http::HttpTlsOptions tls;
  std::vector<std::pair<std::string, std::string>> headers;  // values may be secrets
  std::uint64_t max_response_bytes = 10 * 1024 * 1024;
  // Validates the Body's child of every successful reply; null when not configured.
  std::shared_ptr<const core::XsdSchema> response_schema;
  std::optional<WsSecurityConfig> wssec;
  FaultHandling faults = FaultHandling::error;
};

// Reads an endpoint's settings (the map that also holds `type: soap`). Files (response_schema,
// keys, certificates) are read now, relative paths against the folder of the YAML file that
// names them. Every problem is reported into settings.errors() with its line; returns nullopt
// when there was any.
std::optional<SoapConfig> parseSoapConfig(const core::ConfigNode& settings);

}  // namespace egov::adapters::soap
