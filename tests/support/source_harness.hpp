// A running bus for source tests: a config tree, the journal, an I/O context on its own
// thread, delivery of one-way exchanges, and the SourceRunner the serve command uses.
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "core/engine/bus.hpp"
#include "core/engine/source_runner.hpp"
#include "core/journal/delivery.hpp"
#include "core/journal/sqlite_journal.hpp"
#include "core/net/api.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"

namespace egov::test {

// A file's bytes ("" when it cannot be read).
inline std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Written beside and renamed in, as a well-behaved producer drops a file.
inline void dropFile(const std::filesystem::path& path, const std::string& text) {
  const auto temp = path.parent_path() / ("." + path.filename().string() + ".tmp");
  std::ofstream(temp, std::ios::binary) << text;
  std::filesystem::rename(temp, path);
}

// Waits until `done()` holds; false after `limit` (a generous bound so that a broken
// feature fails instead of hanging, never a timing assertion).
inline bool waitUntil(const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

class SourceHarness {
 public:
  // io_lanes > 0: the bus also gets that many I/O contexts, each run by a thread of its own,
  // as `egovbus serve` gives it one per I/O thread, and the sources run on them in turn; else
  // it has none, as in `egovbus check`, and the sources run on the harness's own context.
  explicit SourceHarness(TempConfig& config, int io_lanes = 0)
      : config_(config), io_lanes_(io_lanes) {}
  ~SourceHarness() { stop(); }

  // Loads the config, opens the journal and starts delivery and the sources.
  void start() {
    if (!std::filesystem::exists(config_.root() / "conf/bus.yaml")) {
      config_.write(
          "conf/bus.yaml",
          "listen: 127.0.0.1:0\njournal: { path: ../var/journal.db, poll_interval: 20ms }\n");
    }
    config_.bearer();  // before the generation loads: get() sends this key
    core::RuntimeServices* runtime = &config_.runtime();
    std::vector<net::any_io_executor> source_contexts{io_.get_executor()};
    if (io_lanes_ > 0) {
      std::vector<net::any_io_executor> executors;
      for (int i = 0; i < io_lanes_; ++i) {
        lanes_.push_back(std::make_unique<net::io_context>(1));
        lane_work_.push_back(net::make_work_guard(*lanes_.back()));
        executors.push_back(lanes_.back()->get_executor());
      }
      source_contexts = executors;
      lane_runtime_ = std::make_unique<core::RuntimeServices>(
          config_.runtime().workers(), config_.runtime().metrics(), std::move(executors));
      runtime = lane_runtime_.get();
      for (auto& lane : lanes_) lane_threads_.emplace_back([&lane] { lane->run(); });
    }
    bus_ =
        std::make_unique<core::Bus>(config_.root() / "conf/bus.yaml", config_.adapters(), *runtime);
    core::ConfigErrors errors;
    REQUIRE_MESSAGE(bus_->reload(errors), errors.str());
    auto journal = core::SqliteJournal::open(config_.root() / "var/journal.db");
    REQUIRE_MESSAGE(journal, journal.error().message);
    journal_ = std::move(journal).value();
    bus_->setJournal(journal_.get());
    delivery_ = std::make_unique<core::DeliveryWorker>(io_, *bus_, *journal_,
                                                       bus_->generation()->bus.journal);
    bus_->setDelivery(delivery_.get());
    delivery_->start();
    runner_ = std::make_unique<core::SourceRunner>(std::move(source_contexts), *bus_);
    runner_->replace(bus_->generation());
    thread_ = std::thread([this] { io_.run(); });
  }

  // Reloads the config (as SIGHUP does) and hands the sources over to the new generation.
  void reload() {
    core::ConfigErrors errors;
    REQUIRE_MESSAGE(bus_->reload(errors), errors.str());
    runner_->replace(bus_->generation());
  }

  // Stops the sources (waiting for them to settle) and everything else.
  void stop() {
    if (!thread_.joinable()) return;
    runner_->stopAll();
    CHECK(waitUntil([this] { return runner_->stopped(); }));
    net::post(io_, [this] { delivery_->stop(); });
    work_.reset();
    io_.stop();
    thread_.join();
    lane_work_.clear();
    for (auto& thread : lane_threads_) thread.join();
    runner_.reset();
    bus_->setDelivery(nullptr);
    delivery_.reset();
    bus_->setJournal(nullptr);
    journal_.reset();
  }

  core::Bus& bus() { return *bus_; }
  core::Journal& journal() { return *journal_; }
  core::SourceRunner& runner() { return *runner_; }

  // A unified API request, answered by the bus as the HTTP listener would.
  HttpResponse get(const std::string& target) {
    core::ApiHandler api(*bus_);
    HttpRequest request{http::verb::get, target, 11};
    request.set(http::field::authorization, config_.bearer());
    request.prepare_payload();
    return runCoroutine(api.handle(std::move(request)));
  }

  template <class T>
  T await(awaitable<T> task) {
    return runCoroutine(std::move(task));
  }

 private:
  TempConfig& config_;
  int io_lanes_ = 0;
  std::vector<std::unique_ptr<net::io_context>> lanes_;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> lane_work_;
  std::unique_ptr<core::RuntimeServices> lane_runtime_;
  std::vector<std::thread> lane_threads_;
  net::io_context io_{1};
  std::unique_ptr<net::executor_work_guard<net::io_context::executor_type>> work_ =
      std::make_unique<net::executor_work_guard<net::io_context::executor_type>>(
          io_.get_executor());
  std::unique_ptr<core::Bus> bus_;
  std::unique_ptr<core::SqliteJournal> journal_;
  std::unique_ptr<core::DeliveryWorker> delivery_;
  std::unique_ptr<core::SourceRunner> runner_;
  std::thread thread_;
};

}  // namespace egov::test
