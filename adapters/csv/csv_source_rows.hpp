// What a drop file's rows become (csv source): the check that a row can be handed to a route,
// and the exchange bodies, one row or a chunk of rows, in namespace urn:egovbus:csv. Pure
// functions, safe on any thread.
#pragma once

#include <string>
#include <vector>

#include "adapters/csv/csv_batch_file.hpp"
#include "core/common/result.hpp"
#include "core/xml/xml.hpp"

namespace egov::adapters::csv {

// Why a row cannot be handed to the route (a wrong number of fields, a control character),
// as its outcome's detail; empty when it can.
std::string rowProblem(const std::vector<std::string>& header, const CsvRow& row);

// One row per exchange (rows_per_exchange 1): <row file=".." number=".." line=".."><field
// name="..">..</field>...</row>.
core::Result<core::XmlDocPtr> rowDocument(const std::string& file,
                                          const std::vector<std::string>& header,
                                          const CsvRow& row);

// Chunk mode: <rows file=".." first=".." last=".."> holding the given rows (each a <row> as
// above, without the file), in file order.
core::Result<core::XmlDocPtr> chunkDocument(const std::string& file,
                                            const std::vector<std::string>& header,
                                            const std::vector<const CsvRow*>& rows);

}  // namespace egov::adapters::csv
