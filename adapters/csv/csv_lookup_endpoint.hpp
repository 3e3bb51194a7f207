// The `csv` adapter in mode lookup: answers each call with the rows of an exported file whose
// key columns match the request, from an index held in memory. When the file changes (a new
// export renamed over the old one, or rewritten in place), the next call re-indexes it on the
// worker pool and swaps the new index in atomically; calls in flight keep the index they
// started with. A file that no longer reads keeps the old index serving, and is logged.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/csv/csv_config.hpp"
#include "adapters/csv/csv_index.hpp"
#include "core/engine/endpoint.hpp"

namespace egov::adapters::csv {

class CsvLookupEndpoint final : public core::Endpoint {
 public:
  // `index` is the one built at config load; `workers` is the runtime's bounded pool.
  CsvLookupEndpoint(std::string name, CsvLookupConfig config, std::shared_ptr<const CsvIndex> index,
                    net::any_io_executor workers);

  // Reads the key on the calling thread; with reload: true, checks the file and looks up on
  // the worker pool (a stat may block on a network file system), else looks up in place.
  // Errors: mapping_failed for a request body of the wrong shape, deadline_exceeded.
  awaitable<core::Result<core::XmlDocPtr>> call(const core::CallRequest& request) override;

  enum class Refresh {
    unchanged,  // same file as the current index's
    reloaded,   // a new index is current
    failed,     // the file changed but cannot be read or indexed: the old index stays, logged
    busy,       // another thread is re-indexing; this one serves the current index
  };
  // Blocking (stat, and a whole re-read when the file changed): the worker pool runs it at the
  // start of every call; tests call it directly. Thread-safe. A file already found bad is not
  // re-read (nor logged again) until it changes again.
  Refresh refresh();

  std::shared_ptr<const CsvIndex> index() const { return index_.load(); }

 private:
  core::Result<core::XmlDocPtr> lookup(const std::vector<std::string>& key) const;

  const CsvLookupConfig config_;
  const net::any_io_executor workers_;
  std::atomic<std::shared_ptr<const CsvIndex>> index_;
  std::mutex refresh_mutex_;  // one re-index at a time
  // Guarded by refresh_mutex_: the version of the file last found bad (nullopt signature:
  // the file was missing).
  std::optional<std::optional<FileSignature>> failed_;
};

}  // namespace egov::adapters::csv
