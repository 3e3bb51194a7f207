// The factory of the `soap` adapter, registered by name in adapters/register.cpp.
//
//   endpoints:
//     tributi:
//       type: soap
//       url: "https://tributi.comune.bari.it/ws"   # required
//       version: "1.1"                # "1.1" (text/xml + SOAPAction) | "1.2"
//       (application/soap+xml) action: "urn:tributi#ElencoPosizioni" timeout: 10s # per call,
//       further bounded by the route's deadline connect_timeout: 3s headers: { X-Ente: C_A662 }
//       tls: { verify: true, ca_file: ..., client_cert: ..., client_key: ... }
//       max_response_bytes: 10MiB
//       response_schema: schemas/tributi-risposta.xsd   # relative to this YAML file's folder
//       wssec:
//         username: bus-bari
//         password: "${env:BARI_TRIBUTI_PASSWORD}"      # references only
//         password_type: digest       # text | digest
//         timestamp: { ttl: 5m }
//         sign: { key_file: keys/bus.key, cert_file: keys/bus.pem, key_password: "${env:K}" }
//         verify_response: { cert_file: keys/tributi.pem }
#pragma once

#include <memory>

#include "core/engine/endpoint.hpp"

namespace egov::adapters::soap {

// Returns null after reporting config errors into context.settings.errors().
// Control plane: may throw if the shared curl loop cannot be created.
std::shared_ptr<core::Endpoint> makeSoapEndpoint(const core::EndpointContext& context);

}  // namespace egov::adapters::soap
