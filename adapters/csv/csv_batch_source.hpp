// The `csv` source: a watched drop folder. Each complete file (see CsvSourceConfig) is read
// as a stream; each row becomes one exchange of the source's service, body
//
//   <row xmlns="urn:egovbus:csv" file="versamenti.csv" number="1" line="2">
//     <field name="codice_fiscale">RSSMRA80A01A662A</field>...</row>
//
// submitted with idempotency key "<source key>:<sha-256 prefix>:<row number>". In chunk mode
// (rows_per_exchange N > 1) the file is cut into slots of N consecutive rows; the valid rows
// of a slot go as one exchange whose body is
//
//   <rows xmlns="urn:egovbus:csv" file="versamenti.csv" first="1" last="1000">
//     <row number="1" line="2"><field name="codice_fiscale">...</field>...</row>...</rows>
//
// (first and last: the numbers of its first and last rows), key "<source key>:<sha-256
// prefix>:<first>-<last>". A chunk that succeeds gives all its rows its outcome; a rejected
// chunk is sent again row by row, each row a one-row <rows> body of the same service (so the
// same route handles it), and each row gets its own outcome. Rows with a wrong number of
// fields or a control character are rejected before the chunk is formed. Slots are cut from
// the row where a run starts, so a resumed run submits the same chunks under the same keys.
// Per file:
//   - a journal batch record (source, name, SHA-256) holds the progress, so a file is
//     processed once even across restarts (the same name and content again is only moved),
//     and a stopped or crashed run is resumed after the last recorded row;
//   - <name>.outcomes.csv (row, line, outcome, exchange_id, detail) records every row:
//     ok (request-reply), queued or duplicate (one-way), rejected;
//   - <name>.rejects.csv holds the rejected rows as they were, with their row number and a
//     reason column, so they can be corrected and dropped again;
//   - the file, its outcomes and rejects move to done/ (every row handed off or rejected)
//     or error/ (the file itself does not read: no header, a malformed line, a byte invalid
//     for the charset; rows before that point are processed).
// Progress goes to the journal, the log and /metrics at least every second.
#pragma once

#include <memory>

#include "adapters/csv/csv_source_config.hpp"
#include "core/engine/endpoint.hpp"
#include "core/engine/source.hpp"

namespace egov::adapters::csv {

std::shared_ptr<core::Source> makeCsvSource(const core::SourceContext& context);

}  // namespace egov::adapters::csv
