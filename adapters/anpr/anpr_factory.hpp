// The factory of the `anpr` adapter, registered by name in adapters/register.cpp.
//
//   endpoints:
//     anpr:
//       type: anpr
//       environment: test                 # test | production: default URLs and audiences
//       client_id: "9b3c...-..."          # the tenant's PDND client
//       kid: "Zr5...Q"                     # id of its registered public key
//       key_file: /etc/egovbus/pdnd/bari.pem   # its RSA private key (a path, never inline)
//       key_password: "${env:BARI_PDND_KEY_PASSWORD}"   # when the PEM is encrypted
//       eservices:                         # one PDND purpose per e-service
//         C020: { purpose_id: "..." }
//         C030: { purpose_id: "..." }
//       audit: { user_location: portale-egov, pseudonymise: hmac-sha256,
//                pseudonym_key: "${file:/etc/egovbus/pdnd/pseudonym.key}" }
#pragma once

#include <memory>

#include "core/engine/endpoint.hpp"

namespace egov::adapters::anpr {

// Returns null after reporting config errors into context.settings.errors().
std::shared_ptr<core::Endpoint> makeAnprEndpoint(const core::EndpointContext& context);

}  // namespace egov::adapters::anpr
