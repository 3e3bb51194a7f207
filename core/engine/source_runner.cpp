#include "core/engine/source_runner.hpp"

#include <stdexcept>

#include "core/engine/bus.hpp"
#include "core/log/log.hpp"

namespace egov::core {

struct SourceRunner::Running {
  Running(net::any_io_executor strand, std::shared_ptr<const Generation> generation,
          const Tenant& tenant, std::shared_ptr<Source> source)
      : stop(strand),
        strand(std::move(strand)),
        generation(std::move(generation)),
        tenant(tenant),
        source(std::move(source)) {}

  StopSignal stop;
  net::any_io_executor strand;
  std::shared_ptr<const Generation> generation;  // keeps tenant and source alive
  const Tenant& tenant;
  std::shared_ptr<Source> source;
};

SourceRunner::SourceRunner(std::vector<net::any_io_executor> contexts, Bus& bus)
    : contexts_(std::move(contexts)), bus_(bus) {
  if (contexts_.empty()) throw std::invalid_argument("SourceRunner needs an I/O context");
}

SourceRunner::~SourceRunner() {
  stopAll();
}

void SourceRunner::replace(std::shared_ptr<const Generation> generation) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  pending_ = std::move(generation);
  for (const auto& running : running_) running->stop.request();
  if (alive_ == 0) startPendingLocked();
}

void SourceRunner::stopAll() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  pending_.reset();
  for (const auto& running : running_) running->stop.request();
}

bool SourceRunner::stopped() const {
  std::lock_guard lock(mutex_);
  return alive_ == 0;
}

std::size_t SourceRunner::running() const {
  std::lock_guard lock(mutex_);
  return alive_;
}

void SourceRunner::startPendingLocked() {
  running_.clear();
  auto generation = std::move(pending_);
  if (!generation) return;
  std::size_t turn = 0;  // the sources' I/O contexts, in turn
  for (const auto& tenant : generation->tenants) {
    for (const auto& [key, source] : tenant->sources) {
      const auto& context = contexts_[turn++ % contexts_.size()];
      auto running =
          std::make_shared<Running>(net::make_strand(context), generation, *tenant, source);
      running_.push_back(running);
      ++alive_;
      logEvent(LogLevel::info, "source started",
               {{"source", std::string_view(source->name())},
                {"type", std::string_view(source->type())},
                {"generation", static_cast<std::int64_t>(generation->number)}});
      auto body = [this, running]() -> awaitable<void> {
        try {
          co_await running->source->run(
              SourceRun{bus_, *running->generation, running->tenant, running->stop});
        } catch (const std::exception& e) {
          // A source's own failures are logged where they happen; this is a bug's last stop.
          logEvent(LogLevel::error, "source failed",
                   {{"source", std::string_view(running->source->name())},
                    {"error", std::string_view(e.what())}});
        }
        logEvent(LogLevel::info, "source stopped",
                 {{"source", std::string_view(running->source->name())}});
      };
      net::co_spawn(running->strand, std::move(body), [this](std::exception_ptr) { finished(); });
    }
  }
}

void SourceRunner::finished() {
  std::lock_guard lock(mutex_);
  if (--alive_ == 0) startPendingLocked();
}

}  // namespace egov::core
