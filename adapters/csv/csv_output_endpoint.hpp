// The `csv` adapter in mode output: each call writes the rows of its body as one new file,
// {folder}/{prefix}-{exchange id}.csv, header first, published by an atomic rename so that
// the system importing the folder never reads a partial file. Nothing is appended in place.
#pragma once

#include <string>

#include "adapters/csv/csv_config.hpp"
#include "core/engine/endpoint.hpp"

namespace egov::adapters::csv {

class CsvOutputEndpoint final : public core::Endpoint {
 public:
  CsvOutputEndpoint(std::string name, CsvOutputConfig config, net::any_io_executor workers);

  // Reads the rows on the calling thread, writes the file on the worker pool. The same
  // exchange sent again (a retry) rewrites its own file rather than adding a second one.
  // Errors: mapping_failed for a body of the wrong shape or an unknown field;
  // backend_unavailable when the file cannot be written; deadline_exceeded.
  awaitable<core::Result<core::XmlDocPtr>> call(const core::CallRequest& request) override;

  const CsvOutputConfig& config() const { return config_; }

 private:
  const CsvOutputConfig config_;
  const net::any_io_executor workers_;
};

}  // namespace egov::adapters::csv
