// SourceRunner: where the sources run. Each source's loop goes to the next I/O context in
// turn, so the sources of different tenants work on different I/O threads (a csv file's
// chunks are built and mapped on its source's thread).
#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/engine/bus.hpp"
#include "core/engine/source_runner.hpp"
#include "tests/support/source_harness.hpp"
#include "tests/support/temp_config.hpp"

namespace net = boost::asio;
using boost::asio::awaitable;
using egov::test::TempConfig;
using egov::test::waitUntil;
using namespace std::chrono_literals;

namespace {

// Where each probe source ran, by source name.
struct Seen {
  std::mutex mutex;
  std::map<std::string, std::thread::id> threads;

  std::size_t size() {
    std::lock_guard lock(mutex);
    return threads.size();
  }
};

// A source that records the thread its loop runs on, then waits to be stopped.
class ProbeSource final : public egov::core::Source {
 public:
  ProbeSource(std::string name, std::string service, Seen& seen)
      : Source(std::move(name), "probe", std::move(service)), seen_(seen) {}

  awaitable<void> run(egov::core::SourceRun run) override {
    {
      std::lock_guard lock(seen_.mutex);
      seen_.threads[name()] = std::this_thread::get_id();
    }
    while (co_await run.stop.sleep(1h)) {
    }
  }

 private:
  Seen& seen_;
};

// An I/O context run by a thread of its own, as `egovbus serve` runs each of its contexts.
struct IoThread {
  IoThread() : work(net::make_work_guard(io)), thread([this] { io.run(); }) {}
  ~IoThread() {
    work.reset();
    thread.join();
  }
  net::io_context io{1};
  net::executor_work_guard<net::io_context::executor_type> work;
  std::thread thread;
};

}  // namespace

TEST_CASE("source runner: the sources are spread over the I/O contexts in turn") {
  TempConfig config;
  Seen seen;
  config.registry().addSource("probe", [&seen](const egov::core::SourceContext& context) {
    return std::make_shared<ProbeSource>(context.name, context.service, seen);
  });
  const std::string route = "routes:\n  - service: x.ping\n    steps: [ { call: echo } ]\n";
  const std::string endpoints = "endpoints: { echo: { type: memory } }\n";
  config.write("conf/tenants/altamura.yaml",
               "tenant: { istat: \"072004\", slug: altamura, name: Altamura }\n" + endpoints +
                   route + "sources: { avvisi: { type: probe, service: x.ping } }\n");
  config.write("conf/tenants/bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\n" + endpoints + route +
                   "sources:\n  avvisi: { type: probe, service: x.ping }\n"
                   "  tributi: { type: probe, service: x.ping }\n");
  config.write("conf/bus.yaml", "listen: 127.0.0.1:0\n");
  egov::core::Bus bus(config.root() / "conf/bus.yaml", config.adapters(), config.runtime());
  egov::core::ConfigErrors errors;
  REQUIRE_MESSAGE(bus.reload(errors), errors.str());

  IoThread first;
  IoThread second;
  {
    egov::core::SourceRunner runner({first.io.get_executor(), second.io.get_executor()}, bus);
    runner.replace(bus.generation());
    REQUIRE(waitUntil([&] { return seen.size() == 3; }));
    runner.stopAll();
    CHECK(waitUntil([&] { return runner.stopped(); }));
  }
  std::set<std::thread::id> threads;
  for (const auto& [name, thread] : seen.threads) {
    CAPTURE(name);
    CHECK((thread == first.thread.get_id() || thread == second.thread.get_id()));
    threads.insert(thread);
  }
  // Three sources over two contexts: both contexts have one at least.
  CHECK(threads.size() == 2);
}

TEST_CASE("source runner: an empty list of I/O contexts is refused") {
  TempConfig config;
  config.write("conf/bus.yaml", "listen: 127.0.0.1:0\n");
  egov::core::Bus bus(config.root() / "conf/bus.yaml", config.adapters(), config.runtime());
  CHECK_THROWS_AS(egov::core::SourceRunner({}, bus), std::invalid_argument);
}
