// The factory of the `http` adapter, registered by name in adapters/register.cpp.
//
//   endpoints:
//     tributi:
//       type: http
//       url: "https://tributi.comune.bari.it/api"   # required
//       method: POST              # GET | POST | PUT | DELETE | PATCH
//       format: json              # json | xml: how the body is sent and which reply is asked for
//       timeout: 10s              # per call, further bounded by the route's deadline
//       connect_timeout: 3s
//       headers: { Authorization: "${env:BARI_TRIBUTI_TOKEN}" }
//       tls: { verify: true, ca_file: ..., client_cert: ..., client_key: ... }
//       max_response_bytes: 10MiB
#pragma once

#include <memory>

#include "core/engine/endpoint.hpp"

namespace egov::adapters::http {

// Returns null after reporting config errors into context.settings.errors().
// Control plane: may throw if the shared curl loop cannot be created.
std::shared_ptr<core::Endpoint> makeHttpEndpoint(const core::EndpointContext& context);

}  // namespace egov::adapters::http
