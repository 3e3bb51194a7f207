#include "adapters/csv/csv_lookup_endpoint.hpp"

#include <utility>

#include "adapters/csv/csv_body.hpp"
#include "core/log/log.hpp"
#include "core/net/run_on.hpp"

namespace egov::adapters::csv {

CsvLookupEndpoint::CsvLookupEndpoint(std::string name, CsvLookupConfig config,
                                     std::shared_ptr<const CsvIndex> index,
                                     net::any_io_executor workers)
    : core::Endpoint(std::move(name), "csv"),
      config_(std::move(config)),
      workers_(std::move(workers)),
      index_(std::move(index)) {}

awaitable<core::Result<core::XmlDocPtr>> CsvLookupEndpoint::call(const core::CallRequest& request) {
  if (core::Clock::now() >= request.deadline) {
    co_return core::makeError(core::ErrorKind::deadline_exceeded,
                              name() + ": deadline passed before the lookup");
  }
  auto key = readLookupKey(request.body, config_.key);
  if (!key) {
    core::Error error = std::move(key).error();
    error.message = name() + ": " + error.message;
    co_return error;
  }
  if (!config_.reload) co_return lookup(*key);
  auto refreshed_lookup = [this, &key]() -> core::Result<core::XmlDocPtr> {
    refresh();
    return lookup(*key);
  };
  co_return co_await core::runOn(workers_, refreshed_lookup);
}

core::Result<core::XmlDocPtr> CsvLookupEndpoint::lookup(const std::vector<std::string>& key) const {
  // One load: the rows found and the index they point into stay together.
  const std::shared_ptr<const CsvIndex> index = index_.load();
  const std::vector<std::size_t> rows = index->find(key);
  return rowsDocument(*index, rows);
}

CsvLookupEndpoint::Refresh CsvLookupEndpoint::refresh() {
  std::unique_lock lock(refresh_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return Refresh::busy;
  const std::optional<FileSignature> signature = fileSignature(config_.file);
  if (signature && *signature == index_.load()->signature()) {
    failed_.reset();
    return Refresh::unchanged;
  }
  if (failed_ && *failed_ == signature) return Refresh::failed;

  auto fresh = CsvIndex::load(config_);  // a missing file fails here too
  if (!fresh) {
    failed_ = signature;
    core::logEvent(core::LogLevel::warn,
                   "csv lookup file changed but cannot be indexed; the previous index serves",
                   {{"endpoint", std::string_view(name())},
                    {"error", std::string_view(fresh.error().message)}});
    return Refresh::failed;
  }
  failed_.reset();
  const std::size_t rows = (*fresh)->size();
  index_.store(std::move(*fresh));
  core::logEvent(
      core::LogLevel::info, "csv lookup file re-indexed",
      {{"endpoint", std::string_view(name())}, {"rows", static_cast<std::int64_t>(rows)}});
  return Refresh::reloaded;
}

}  // namespace egov::adapters::csv
