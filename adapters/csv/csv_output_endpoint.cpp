#include "adapters/csv/csv_output_endpoint.hpp"

#include <algorithm>
#include <utility>

#include "adapters/csv/csv_body.hpp"
#include "core/csv/csv_writer.hpp"
#include "core/net/run_on.hpp"

namespace egov::adapters::csv {
namespace {

// The exchange id becomes part of a file name: it must not be able to leave the folder.
bool isSafeId(const std::string& id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace

CsvOutputEndpoint::CsvOutputEndpoint(std::string name, CsvOutputConfig config,
                                     net::any_io_executor workers)
    : core::Endpoint(std::move(name), "csv"),
      config_(std::move(config)),
      workers_(std::move(workers)) {}

awaitable<core::Result<core::XmlDocPtr>> CsvOutputEndpoint::call(const core::CallRequest& request) {
  if (core::Clock::now() >= request.deadline) {
    co_return core::makeError(core::ErrorKind::deadline_exceeded,
                              name() + ": deadline passed before writing");
  }
  auto records = readOutputRows(request.body, config_.columns);
  if (!records) {
    core::Error error = std::move(records).error();
    error.message = name() + ": " + error.message;
    co_return error;
  }
  if (!isSafeId(request.exchange.id)) {
    co_return core::makeError(core::ErrorKind::internal,
                              name() + ": exchange id unfit for a file name");
  }
  const std::string file_name = config_.prefix + "-" + request.exchange.id + ".csv";

  auto write = [&]() -> core::Result<std::size_t> {
    auto writer = core::CsvFileWriter::create(config_.folder / file_name, config_.write);
    if (!writer) return std::move(writer).error();
    if (auto header = writer->write(config_.columns); !header) return std::move(header).error();
    for (const auto& record : *records) {
      if (auto row = writer->write(record); !row) return std::move(row).error();
    }
    if (auto published = writer->publish(); !published) return std::move(published).error();
    return records->size();
  };
  auto written = co_await core::runOn(workers_, write);
  if (!written) {
    core::Error error = std::move(written).error();
    error.message = name() + ": " + error.message;
    co_return error;
  }
  co_return writtenDocument(file_name, *written);
}

}  // namespace egov::adapters::csv
