// The factory of the `csv` adapter, registered by name in adapters/register.cpp.
//
//   endpoints:
//     ruolo-tari:                          # answers lookups from an exported file
//       type: csv
//       mode: lookup
//       file: /srv/export/ruolo_tari.csv   # relative: to this YAML file's folder
//       delimiter: ";"                     # "," (default), ";" or tab
//       charset: windows-1252              # utf-8 (default), windows-1252, iso-8859-1
//       key: [codice_fiscale, anno]        # one or more header columns
//       reload: true                       # re-index when the file changes (default)
//     esiti:                               # writes one file per call
//       type: csv
//       mode: output
//       folder: /srv/import/esiti          # relative: to this YAML file's folder
//       prefix: esiti                      # file name {prefix}-{exchange id}.csv
//       columns: [codice_fiscale, importo, esito]
//       delimiter: ";"
//       line_ending: crlf                  # crlf (default, RFC 4180) or lf
#pragma once

#include <memory>

#include "core/engine/endpoint.hpp"

namespace egov::adapters::csv {

// Control plane. Returns null after reporting config errors into context.settings.errors();
// a lookup endpoint reads and indexes its whole file here, so a missing or malformed file
// fails the config load.
std::shared_ptr<core::Endpoint> makeCsvEndpoint(const core::EndpointContext& context);

}  // namespace egov::adapters::csv
