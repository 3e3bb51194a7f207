// The `db` source: a legacy table polled for new rows. Each row becomes one exchange of the
// source's service; once its exchange is safely recorded (a request-reply route completed,
// or a one-way exchange committed to the journal) the row is marked processed in the same
// database, and only then. Everything runs through one of the tenant's `db` endpoints and
// its named statements, so the SQL stays with the database's other settings:
//
//   endpoints:
//     protocollo:
//       type: db
//       driver: postgresql
//       dsn: "${env:BARI_PROTOCOLLO_DSN}"
//       statements:
//         nuove:   { sql: "SELECT id, oggetto FROM pratiche WHERE stato = 'nuova'
//                          ORDER BY id LIMIT 100" }
//         segna:   { sql: "UPDATE pratiche SET stato = 'inoltrata' WHERE id = :id",
//                    params: { id: "." } }
//         scarta:  { sql: "UPDATE pratiche SET stato = 'scartata', esito = :reason
//                          WHERE id = :id", params: { id: ".", reason: "." } }
//   sources:
//     pratiche:
//       type: db
//       service: protocollo.registra  # the route each row runs
//       endpoint: protocollo          # a db endpoint of this tenant
//       select: nuove                 # its statement returning new rows, oldest first
//       mark: segna                   # run per row after its exchange is recorded
//       reject: scarta                # optional: run per row the route refused for good
//       key: id                       # the column identifying a row (idempotency key)
//       interval: 5s                  # pause when a poll found nothing (default 5s)
//       timeout: 30s                  # bound of each statement and each exchange's wait
//
// The mark and reject statements are given their values by name from the row's columns
// (`reason`: the refusal, "<kind>: <message>"); their params' XPaths are not used. Polling
// by increasing key instead of a status column is the same with a cursor table:
// select `... WHERE id > (SELECT ultimo FROM cursore) ORDER BY id`, mark
// `UPDATE cursore SET ultimo = :id`. Rows run one at a time, in the select's order. A row
// whose exchange failed with a retryable error (back-end down, deadline, saturation), or
// failed for good with no `reject` statement, ends the poll: it is selected again at the
// next one, and it is submitted with the same idempotency key "<source key>:<key value>",
// so a one-way route journals it once even if the bus stopped between commit and mark.
#pragma once

#include <memory>

#include "core/engine/endpoint.hpp"
#include "core/engine/source.hpp"

namespace egov::adapters::db {

std::shared_ptr<core::Source> makeDbPollSource(const core::SourceContext& context);

}  // namespace egov::adapters::db
