// The factory of the `db` adapter, registered by name in adapters/register.cpp.
//
//   endpoints:
//     protocollo:
//       type: db
//       driver: sqlite                  # sqlite | postgresql
//       path: data/protocollo.db        # sqlite; relative to this YAML file's folder
//       mode: rw                        # sqlite: ro | rw
//       dsn: "${env:BARI_PROTOCOLLO_DSN}"   # postgresql: libpq conninfo or URI
//       pool: { max: 4 }                # connections in use at once; more calls queue
//       connect_timeout: 3s
//       statement_timeout: 10s          # further bounded by the route's deadline
//       statements:
//         posizioni:
//           sql: "SELECT tributo, anno FROM posizioni WHERE cf = :cf AND anno >= :anno"
//           params: { cf: "fn:map/fn:string[@key='codice_fiscale']",
//                     anno: "fn:map/fn:string[@key='anno']" }
#pragma once

#include <memory>

#include "core/engine/endpoint.hpp"

namespace egov::adapters::db {

// Returns null after reporting config errors into context.settings.errors(). A SQLite
// file that exists is opened read-only once here, to prepare every statement against it.
std::shared_ptr<core::Endpoint> makeDbEndpoint(const core::EndpointContext& context);

}  // namespace egov::adapters::db
