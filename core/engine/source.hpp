// Sources: long-running inbounds that fetch work themselves instead of being called (a drop
// folder of CSV files, a legacy table polled for new rows). Declared in a tenant file under
// `sources:` (key -> { type, service, ...adapter settings }), built with the generation by a
// factory registered in adapters/register.cpp, and run by the SourceRunner
// (core/engine/source_runner.hpp) of the serve command: started once the journal is open,
// stopped and replaced by the next generation's on reload, stopped on SIGTERM.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/config/config_node.hpp"
#include "core/net/asio.hpp"

namespace egov::core {

class Bus;
class Generation;
struct Tenant;
class RuntimeServices;

// Asks a running source to stop, and lets it sleep until then. request() may be called from
// any thread; requested() and sleep() are for the source's own coroutine, which runs on
// `executor` (a strand: a sleep that starts after request() returns at once).
class StopSignal {
 public:
  explicit StopSignal(net::any_io_executor executor)
      : timer_(std::make_shared<net::steady_timer>(std::move(executor))) {}

  bool requested() const { return requested_.load(); }
  void request() {
    requested_ = true;
    // The cancel holds the timer: the source may finish, and its StopSignal go, before the
    // cancel runs (ASan found that in the db source test).
    net::post(timer_->get_executor(), [timer = timer_] { timer->cancel(); });
  }
  // Waits `duration`, or less when stop is requested. True when the whole time passed.
  awaitable<bool> sleep(std::chrono::milliseconds duration) {
    if (requested()) co_return false;
    timer_->expires_after(duration);
    boost::system::error_code ec;
    co_await timer_->async_wait(net::redirect_error(net::use_awaitable, ec));
    co_return !requested() && !ec;
  }

 private:
  std::atomic<bool> requested_{false};
  std::shared_ptr<net::steady_timer> timer_;
};

// What a source's run() gets. The generation stays alive (and the tenant with it) for the
// whole run; exchanges are submitted with core/engine/dispatch.hpp submitExchange.
struct SourceRun {
  Bus& bus;
  const Generation& generation;
  const Tenant& tenant;
  StopSignal& stop;
};

class Source {
 public:
  Source(std::string name, std::string type, std::string service)
      : name_(std::move(name)), type_(std::move(type)), service_(std::move(service)) {}
  virtual ~Source() = default;
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  const std::string& name() const { return name_; }  // "<tenant slug>/<source key>"
  const std::string& type() const { return type_; }
  const std::string& service() const { return service_; }  // the route each item runs

  // Runs until run.stop is requested, then returns once what it holds is settled: an item
  // whose exchange was submitted is recorded as done, anything else is left for the next
  // run (this one's successor after a reload, or the next process) to take again. Runs on
  // a strand of one of the I/O contexts (SourceRunner: each source on the next one in turn);
  // must not block it. Called at most once at a time per source name: a successor starts
  // only after its predecessor returned.
  virtual awaitable<void> run(SourceRun run) = 0;

 private:
  std::string name_;
  std::string type_;
  std::string service_;
};

// What a source factory gets: its settings (the map under `sources.<key>`, `type` and
// `service` included and already read and checked by the loader: the tenant has a route for
// the service), and the tenant being built, whose endpoints and routes are loaded.
struct SourceContext {
  std::string name;  // "<tenant slug>/<source key>"
  std::string service;
  ConfigNode settings;
  RuntimeServices& runtime;
  const Tenant& tenant;
};

// Returns null after reporting config errors into settings.errors().
using SourceFactory = std::function<std::shared_ptr<Source>(const SourceContext&)>;

}  // namespace egov::core
