#include "adapters/csv/csv_batch_source.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "adapters/csv/csv_batch_file.hpp"
#include "adapters/csv/csv_body.hpp"
#include "adapters/csv/csv_source_rows.hpp"
#include "core/common/ids.hpp"
#include "core/csv/csv_writer.hpp"
#include "core/engine/bus.hpp"
#include "core/engine/dispatch.hpp"
#include "core/log/log.hpp"
#include "core/net/run_on.hpp"

namespace egov::adapters::csv {
namespace {

using namespace std::chrono_literals;
using core::Clock;
using core::ErrorKind;

constexpr std::size_t kReadChunk = 256;               // rows read per trip to the worker pool
constexpr std::size_t kFlushBytes = 4 * 1024 * 1024;  // result records held before writing
constexpr auto kCheckpointEvery = 1s;                 // progress synced, journaled, logged

// Wakes the file loop when a row settles. Used only on the source's strand: the loop looks
// at the rows before it waits, so a notify never falls between the look and the wait.
class RowSettled {
 public:
  explicit RowSettled(net::any_io_executor executor) : timer_(std::move(executor)) {}
  void notify() { timer_.cancel(); }
  awaitable<void> wait() {
    timer_.expires_at(net::steady_timer::time_point::max());
    boost::system::error_code ec;
    co_await timer_.async_wait(net::redirect_error(net::use_awaitable, ec));
  }

 private:
  net::steady_timer timer_;
};

struct RowOutcome {
  std::string outcome;  // ok, queued, duplicate, rejected
  std::string id;       // the exchange (request-reply) or journal id (one-way)
  std::string detail;
};

// Consecutive rows of the file settled together: one row (rows_per_exchange 1), or up to
// rows_per_exchange rows whose valid ones go to the route as one chunk.
struct Slot {
  std::vector<CsvRow> rows;          // in file order
  std::vector<RowOutcome> outcomes;  // one per row
  std::vector<std::size_t> sent;     // indexes of the rows handed to the route
  bool done = false;
};

class CsvBatchSource;

// One drop file, from its journal record to done/ or error/.
class FileRun {
 public:
  FileRun(const CsvBatchSource& source, core::SourceRun& run, std::filesystem::path path,
          core::BatchFile batch, std::optional<core::Error> malformed, net::any_io_executor strand);

  // Processes the rows after batch.rows_done. Returns true when the file was finished,
  // false when it was left for a later run (stop requested, or the journal failed).
  awaitable<bool> process();

 private:
  awaitable<void> submitSlot(Slot& slot);
  awaitable<RowOutcome> buildAndSubmit(Slot& slot, const std::vector<std::size_t>& indexes);
  core::Exchange newExchange(core::XmlDocPtr body) const;
  void launch(std::vector<CsvRow> rows);
  void record(const Slot& slot);
  awaitable<core::Result<void>> checkpoint(bool final);
  std::string name() const { return path_.filename().string(); }

  const CsvBatchSource& source_;
  core::SourceRun& run_;
  std::filesystem::path path_;
  core::BatchFile batch_;
  std::optional<core::Error> malformed_;  // found by the fingerprint pass
  net::any_io_executor strand_;
  const core::Route* route_;
  RowSettled settled_;
  std::unique_ptr<CsvRowStream> rows_;
  std::unique_ptr<ResultFile> outcomes_;
  std::unique_ptr<ResultFile> rejects_;
  std::string outcome_buffer_;
  std::string reject_buffer_;
  std::deque<std::unique_ptr<Slot>> window_;
  std::int64_t done_ = 0;    // rows settled, in file order from the first
  std::int64_t failed_ = 0;  // of those, rejected
  std::int64_t done_at_start_ = 0;
  Clock::time_point started_ = Clock::now();
  Clock::time_point last_checkpoint_ = Clock::now();
  Clock::time_point last_progress_log_ = Clock::now();
};

class CsvBatchSource final : public core::Source {
 public:
  CsvBatchSource(std::string name, std::string service, std::string key, CsvSourceConfig config,
                 core::RuntimeServices& runtime)
      : Source(std::move(name), "csv", std::move(service)),
        key_(std::move(key)),
        config_(std::move(config)),
        workers_(runtime.workers()),
        metrics_(runtime.metrics()) {
    metrics_.declareCounter("egov_source_rows_total",
                            "Rows of batch sources by outcome (ok, queued, duplicate, rejected).");
    metrics_.declareCounter("egov_source_files_total",
                            "Files of batch sources by outcome (done, failed, already-processed).");
    metrics_.declareGauge("egov_source_batch_rows_done", "Rows handed off in the current file.");
    metrics_.declareGauge("egov_source_batch_rows_total", "Rows of the current file.");
    metrics_.declareGauge("egov_source_batch_rows_per_second",
                          "Rows per second in the current file.");
  }

  awaitable<void> run(core::SourceRun run) override {
    while (!run.stop.requested()) {
      for (const auto& name : co_await readyFiles()) {
        if (run.stop.requested()) break;
        co_await takeFile(run, name);
      }
      co_await run.stop.sleep(config_.interval);
    }
  }

  const CsvSourceConfig& config() const { return config_; }
  const std::string& key() const { return key_; }
  const net::any_io_executor& workers() const { return workers_; }
  core::Metrics& metrics() const { return metrics_; }

  // Where the results of a file go, and the file itself, once its state is final.
  awaitable<void> settle(const std::filesystem::path& path, const core::BatchFile& batch) const {
    auto work = [this, path, batch]() { return publishResults(config_, path, batch); };
    auto settled = co_await core::runOn(workers_, work);
    if (!settled) {
      core::logEvent(core::LogLevel::error, "batch file results could not be moved",
                     {{"source", std::string_view(name())},
                      {"file", std::string_view(path.filename().string())},
                      {"error", std::string_view(settled.error().message)}});
    }
  }

 private:
  // Names of the files that are complete now, in name order.
  awaitable<std::vector<std::string>> readyFiles() {
    auto list = [this]() -> core::Result<std::map<std::string, FileIdentity>> {
      return listDropFolder(config_);
    };
    auto listed = co_await core::runOn(workers_, list);
    std::vector<std::string> ready;
    if (!listed) co_return ready;
    const auto now = Clock::now();
    std::map<std::string, Seen> seen;
    for (const auto& [name, identity] : *listed) {
      auto it = seen_.find(name);
      Seen entry{identity, now};
      if (it != seen_.end() && it->second.identity == identity) entry.since = it->second.since;
      seen.emplace(name, entry);
      if (broken_.contains(name) && broken_[name] == identity) continue;
      if (!config_.marker.empty() || now - entry.since >= config_.settle) ready.push_back(name);
    }
    seen_ = std::move(seen);
    co_return ready;
  }

  awaitable<void> takeFile(core::SourceRun& run, const std::string& name) {
    const auto path = config_.folder / name;
    auto print_work = [path, this]() { return fingerprintFile(path, config_.delimiter); };
    auto print = co_await core::runOn(workers_, print_work);
    if (!print) {
      broken_[name] = seen_[name].identity;
      core::logEvent(core::LogLevel::error, "batch file cannot be read",
                     {{"source", std::string_view(this->name())},
                      {"file", std::string_view(name)},
                      {"error", std::string_view(print.error().message)}});
      co_return;
    }
    core::Journal* journal = run.bus.journal();
    if (!journal) {
      core::logEvent(core::LogLevel::error, "batch sources need the journal",
                     {{"source", std::string_view(this->name())}});
      co_return;
    }
    core::BatchFile record;
    record.id = core::newTimeOrderedUuid();
    record.tenant_istat = run.tenant.istat;
    record.source = this->name();
    record.file_name = name;
    record.content_hash = print->sha256;
    record.rows_total = std::max<std::int64_t>(0, print->records - 1);
    auto batch = co_await journal->beginBatch(record);
    if (!batch) {
      core::logEvent(core::LogLevel::error, "batch file not recorded; it is tried again later",
                     {{"source", std::string_view(this->name())},
                      {"file", std::string_view(name)},
                      {"error", std::string_view(batch.error().message)}});
      co_return;
    }
    if (batch->state != core::BatchState::running) {
      // Finished before (dropped again, or a crash came before the move): only moved.
      core::logEvent(core::LogLevel::info, "batch file already processed",
                     {{"source", std::string_view(this->name())},
                      {"file", std::string_view(name)},
                      {"state", core::batchStateName(batch->state)}});
      metrics_.add("egov_source_files_total",
                   {{"source", this->name()}, {"outcome", "already-processed"}});
      co_await settle(path, *batch);
      co_return;
    }
    auto strand = co_await net::this_coro::executor;
    FileRun file(*this, run, path, std::move(*batch), print->malformed, strand);
    co_await file.process();
  }

  struct Seen {
    FileIdentity identity;
    Clock::time_point since;
  };

  std::string key_;
  CsvSourceConfig config_;
  net::any_io_executor workers_;
  core::Metrics& metrics_;
  std::map<std::string, Seen> seen_;            // files of the last scan
  std::map<std::string, FileIdentity> broken_;  // unreadable until they change
};

FileRun::FileRun(const CsvBatchSource& source, core::SourceRun& run, std::filesystem::path path,
                 core::BatchFile batch, std::optional<core::Error> malformed,
                 net::any_io_executor strand)
    : source_(source),
      run_(run),
      path_(std::move(path)),
      batch_(std::move(batch)),
      malformed_(std::move(malformed)),
      strand_(strand),
      route_(core::Generation::findRoute(run.tenant, source.service())),
      settled_(strand) {
  done_ = done_at_start_ = batch_.rows_done;
  failed_ = batch_.rows_failed;
}

awaitable<bool> FileRun::process() {
  const auto& config = source_.config();
  const std::string file_name = name();
  core::logEvent(core::LogLevel::info,
                 batch_.rows_done > 0 ? "batch file resumed" : "batch file started",
                 {{"source", std::string_view(source_.name())},
                  {"file", std::string_view(file_name)},
                  {"rows_total", batch_.rows_total},
                  {"rows_done", batch_.rows_done}});
  std::optional<core::Error> stopped_by;  // what ends the file early (it then goes to error/)
  auto open = [this, &config]() -> core::Result<void> {
    auto rows = CsvRowStream::open(path_, config);
    if (!rows) return std::move(rows).error();
    rows_ = std::move(rows).value();
    std::vector<std::string> reject_header{"row"};
    reject_header.insert(reject_header.end(), rows_->header().begin(), rows_->header().end());
    reject_header.push_back("reason");
    const std::string name = path_.filename().string();
    auto outcomes = ResultFile::open(resultPartPath(config, name, batch_.content_hash, "outcomes"),
                                     {"row", "line", "outcome", "exchange_id", "detail"},
                                     config.delimiter, batch_.rows_done);
    if (!outcomes) return std::move(outcomes).error();
    outcomes_ = std::move(outcomes).value();
    auto rejects = ResultFile::open(resultPartPath(config, name, batch_.content_hash, "rejects"),
                                    reject_header, config.delimiter, batch_.rows_done);
    if (!rejects) return std::move(rejects).error();
    rejects_ = std::move(rejects).value();
    return rows_->skip(batch_.rows_done);
  };
  auto opened = co_await core::runOn(source_.workers(), open);
  if (!opened) {
    if (opened.error().kind != ErrorKind::bad_request) {
      // The folder, not the file: leave it for the next scan.
      core::logEvent(core::LogLevel::error, "batch file cannot be opened",
                     {{"source", std::string_view(source_.name())},
                      {"file", std::string_view(file_name)},
                      {"error", std::string_view(opened.error().message)}});
      co_return false;
    }
    stopped_by = opened.error();
  }

  std::deque<CsvRow> pending;
  const std::size_t per_exchange = config.rows_per_exchange;
  const std::size_t read_size = std::max(kReadChunk, per_exchange);
  bool end = stopped_by.has_value();
  bool io_failed = false;  // results or progress could not be saved: pause, retry later
  while (true) {
    while (!window_.empty() && window_.front()->done) {
      record(*window_.front());
      window_.pop_front();
    }
    if (outcome_buffer_.size() + reject_buffer_.size() > kFlushBytes ||
        Clock::now() - last_checkpoint_ >= kCheckpointEvery) {
      if (auto saved = co_await checkpoint(false); !saved) io_failed = true;
      continue;  // rows may have settled meanwhile: look again before waiting
    }
    const bool stopping = run_.stop.requested() || io_failed;
    if (!stopping && window_.size() < config.concurrency) {
      // The next rows_per_exchange rows of the file are one slot (fewer at its end), so a
      // resumed run cuts the same chunks (and idempotency keys) from rows_done on.
      if (!pending.empty() && (pending.size() >= per_exchange || end)) {
        std::vector<CsvRow> rows;
        const std::size_t take = std::min(per_exchange, pending.size());
        rows.reserve(take);
        for (std::size_t i = 0; i < take; ++i) {
          rows.push_back(std::move(pending.front()));
          pending.pop_front();
        }
        launch(std::move(rows));
        continue;
      }
      if (!end) {
        auto read_work = [this, read_size]() { return rows_->read(read_size); };
        auto chunk = co_await core::runOn(source_.workers(), read_work);
        if (!chunk) {
          stopped_by = chunk.error();
          end = true;
        } else if (chunk->empty()) {
          end = true;
        } else {
          for (auto& row : *chunk) pending.push_back(std::move(row));
        }
        continue;
      }
    }
    if (window_.empty()) break;
    co_await settled_.wait();
  }

  if (!end || !pending.empty() || io_failed) {
    // Stopped: what settled is recorded; the rest is the next run's.
    auto saved = co_await checkpoint(false);
    core::logEvent(core::LogLevel::info, "batch file paused; the next run resumes it",
                   {{"source", std::string_view(source_.name())},
                    {"file", std::string_view(file_name)},
                    {"rows_done", done_},
                    {"saved", saved.ok()}});
    co_return false;
  }
  if (!stopped_by && malformed_) stopped_by = malformed_;
  if (auto saved = co_await checkpoint(true); !saved) co_return false;
  batch_.rows_done = done_;
  batch_.rows_failed = failed_;
  batch_.state = stopped_by ? core::BatchState::failed : core::BatchState::done;
  batch_.detail = stopped_by ? stopped_by->message
                             : std::to_string(done_ - failed_) + " rows handed off, " +
                                   std::to_string(failed_) + " rejected";
  auto finished = co_await run_.bus.journal()->finishBatch(batch_.id, batch_.state, batch_.detail);
  if (!finished) co_return false;  // still running in the journal: the next scan settles it
  rows_.reset();
  outcomes_.reset();
  rejects_.reset();
  co_await source_.settle(path_, batch_);
  const bool done = batch_.state == core::BatchState::done;
  source_.metrics().add("egov_source_files_total",
                        {{"source", source_.name()}, {"outcome", done ? "done" : "failed"}});
  core::logEvent(done ? core::LogLevel::info : core::LogLevel::error,
                 done ? "batch file done" : "batch file failed",
                 {{"source", std::string_view(source_.name())},
                  {"file", std::string_view(file_name)},
                  {"rows_done", done_},
                  {"rows_rejected", failed_},
                  {"detail", std::string_view(batch_.detail)}});
  co_return true;
}

void FileRun::launch(std::vector<CsvRow> rows) {
  auto slot = std::make_unique<Slot>();
  Slot& ref = *slot;
  ref.rows = std::move(rows);
  ref.outcomes.resize(ref.rows.size());
  window_.push_back(std::move(slot));
  const auto& header = rows_->header();
  // Rows that cannot be handed over are rejected here, before any chunk is formed.
  for (std::size_t i = 0; i < ref.rows.size(); ++i) {
    if (auto problem = rowProblem(header, ref.rows[i]); !problem.empty()) {
      ref.outcomes[i] = {"rejected", "", std::move(problem)};
    } else {
      ref.sent.push_back(i);
    }
  }
  if (ref.sent.empty()) {
    ref.done = true;
    return;
  }
  net::co_spawn(strand_, submitSlot(ref), net::detached);
}

// co_spawn hands a default-constructed T with an exception, which a Result has not.
core::Exchange FileRun::newExchange(core::XmlDocPtr body) const {
  core::Exchange exchange;
  exchange.id = core::newTimeOrderedUuid();
  exchange.trace_id = exchange.id;
  exchange.tenant_istat = run_.tenant.istat;
  exchange.tenant_slug = run_.tenant.slug;
  exchange.service = source_.service();
  exchange.identity.client = "source:" + source_.name();
  exchange.deadline = Clock::now() + route_->deadline;
  exchange.body = std::move(body);
  return exchange;
}

// The body of the rows at `indexes`, built, submitted and freed on the file's strand: its
// source's I/O thread builds and maps a file's rows or chunks while the worker pool runs
// their database calls. A chunk is thousands of nodes: built on the worker pool and freed on
// an I/O thread, every one of them had to be handed back to the allocating thread's heap, and
// collecting them there took a tenth of B3's CPU. Spread over all the I/O threads, the
// exchanges in flight competed for the cores and their caches with the database call that
// each of them waits for in turn: on two cores B3 took a fifth longer that way, and its
// one-row mode as long with a third more CPU (BENCHMARKS.md, twelfth pass).
awaitable<RowOutcome> FileRun::buildAndSubmit(Slot& slot, const std::vector<std::size_t>& indexes) {
  const bool chunked = source_.config().rows_per_exchange > 1;
  const auto& first = slot.rows[indexes.front()];
  const auto& last = slot.rows[indexes.back()];
  core::Result<core::XmlDocPtr> body = core::makeError(ErrorKind::internal, "no body");
  if (!chunked) {
    body = rowDocument(name(), rows_->header(), first);
  } else {
    std::vector<const CsvRow*> rows;
    rows.reserve(indexes.size());
    for (auto i : indexes) rows.push_back(&slot.rows[i]);
    body = chunkDocument(name(), rows_->header(), rows);
  }
  if (!body) {
    co_return RowOutcome{
        "rejected", "",
        std::string(core::errorKindName(body.error().kind)) + ": " + body.error().message};
  }
  core::Exchange exchange = newExchange(std::move(body).value());
  core::Submission submission;
  submission.idempotency_key =
      source_.key() + ":" + batch_.content_hash.substr(0, 32) + ":" + std::to_string(first.number);
  if (chunked) submission.idempotency_key += "-" + std::to_string(last.number);
  RowOutcome outcome;
  try {
    auto submitted = co_await core::submitExchange(run_.bus, run_.generation, run_.tenant, *route_,
                                                   exchange, std::move(submission));
    if (!submitted) {
      outcome.outcome = "rejected";
      outcome.detail = std::string(core::errorKindName(submitted.error().kind)) + ": " +
                       submitted.error().message;
    } else if (submitted->queued) {
      outcome.outcome = submitted->duplicate ? "duplicate" : "queued";
      outcome.id = submitted->journal_id;
    } else {
      outcome.outcome = "ok";
      outcome.id = exchange.id;
    }
  } catch (const std::exception& e) {
    outcome.outcome = "rejected";
    outcome.detail = std::string("internal: ") + e.what();
  }
  co_return outcome;
}

awaitable<void> FileRun::submitSlot(Slot& slot) {
  auto outcome = co_await buildAndSubmit(slot, slot.sent);
  if (outcome.outcome == "rejected" && slot.sent.size() > 1) {
    // The chunk as a whole was refused (one bad row fails the chunk's transaction): each of
    // its rows goes again alone, as a one-row chunk, so that each gets its own outcome.
    core::logEvent(core::LogLevel::info, "batch chunk rejected; its rows are sent one by one",
                   {{"source", std::string_view(source_.name())},
                    {"file", std::string_view(name())},
                    {"first", slot.rows[slot.sent.front()].number},
                    {"last", slot.rows[slot.sent.back()].number},
                    {"error", std::string_view(outcome.detail)}});
    for (const auto index : slot.sent) {
      const std::vector<std::size_t> one{index};
      slot.outcomes[index] = co_await buildAndSubmit(slot, one);
    }
  } else {
    for (const auto index : slot.sent) slot.outcomes[index] = outcome;
  }
  slot.done = true;
  settled_.notify();
}

void FileRun::record(const Slot& slot) {
  const char delimiter = source_.config().delimiter;
  const core::CsvWriteOptions options{delimiter, true};
  std::map<std::string_view, double> counts;  // rows per outcome, added to the metric once
  for (std::size_t i = 0; i < slot.rows.size(); ++i) {
    const CsvRow& row = slot.rows[i];
    const RowOutcome& outcome = slot.outcomes[i];
    const std::string number = std::to_string(row.number);
    const std::string line = std::to_string(row.line);
    // Views, not copies: an exchange id is longer than a short string's inline room.
    const std::string_view fields[] = {number, line, outcome.outcome, outcome.id, outcome.detail};
    core::appendCsvRecord(outcome_buffer_, std::span<const std::string_view>(fields), options);
    ++done_;
    ++counts[outcome.outcome];
    if (outcome.outcome != "rejected") continue;
    ++failed_;
    std::vector<std::string> reject{number};
    reject.insert(reject.end(), row.fields.begin(), row.fields.end());
    reject.push_back(outcome.detail);
    core::appendCsvRecord(reject_buffer_, reject, options);
  }
  for (const auto& [outcome, count] : counts) {
    source_.metrics().add("egov_source_rows_total",
                          {{"source", source_.name()}, {"outcome", std::string(outcome)}}, count);
  }
}

awaitable<core::Result<void>> FileRun::checkpoint(bool final) {
  last_checkpoint_ = Clock::now();
  auto write = [this, outcomes = std::move(outcome_buffer_),
                rejects = std::move(reject_buffer_)]() -> core::Result<void> {
    if (!outcomes_ || !rejects_) return {};
    if (auto ok = outcomes_->append(outcomes); !ok) return ok;
    if (auto ok = rejects_->append(rejects); !ok) return ok;
    if (auto ok = outcomes_->sync(); !ok) return ok;
    return rejects_->sync();
  };
  outcome_buffer_.clear();
  reject_buffer_.clear();
  auto written = co_await core::runOn(source_.workers(), write);
  if (!written) {
    core::logEvent(core::LogLevel::error, "batch results cannot be written",
                   {{"source", std::string_view(source_.name())},
                    {"error", std::string_view(written.error().message)}});
    co_return written;
  }
  // Only rows whose results are on disk are recorded as done.
  auto updated =
      co_await run_.bus.journal()->updateBatch(batch_.id, done_, failed_, batch_.rows_total);
  if (!updated) co_return updated;
  const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  const double rate = seconds > 0 ? static_cast<double>(done_ - done_at_start_) / seconds : 0;
  const core::Labels labels{{"source", source_.name()}};
  source_.metrics().set("egov_source_batch_rows_done", labels, static_cast<double>(done_));
  source_.metrics().set("egov_source_batch_rows_total", labels,
                        static_cast<double>(batch_.rows_total));
  source_.metrics().set("egov_source_batch_rows_per_second", labels, rate);
  // Checkpoints also come when the results held reach kFlushBytes; the log line comes at
  // most once per kCheckpointEvery.
  if (!final && last_checkpoint_ - last_progress_log_ >= kCheckpointEvery) {
    last_progress_log_ = last_checkpoint_;
    core::logEvent(core::LogLevel::info, "batch progress",
                   {{"source", std::string_view(source_.name())},
                    {"file", std::string_view(name())},
                    {"rows_done", done_},
                    {"rows_total", batch_.rows_total},
                    {"rows_rejected", failed_},
                    {"rows_per_second", rate}});
  }
  co_return core::Result<void>{};
}

}  // namespace

std::shared_ptr<core::Source> makeCsvSource(const core::SourceContext& context) {
  auto config = parseCsvSourceConfig(context.settings);
  if (!config) return nullptr;
  const std::string key = context.name.substr(context.name.find('/') + 1);
  return std::make_shared<CsvBatchSource>(context.name, context.service, key, std::move(*config),
                                          context.runtime);
}

}  // namespace egov::adapters::csv
