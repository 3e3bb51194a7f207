// Two delivery workers on one journal (as two bus instances): worker A's delivery outlives its
// lease, worker B claims the entry again; A's late outcome (a retryable failure), settled while
// B still delivers, must neither queue the entry again nor spoil B's delivery. The lease token
// the worker passes back makes A's settle stale: counted and logged, without effect.
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "adapters/memory/memory_endpoint.hpp"
#include "core/journal/delivery.hpp"
#include "core/metrics/metrics.hpp"
#include "core/net/api.hpp"
#include "tests/support/journal_store.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;
using namespace std::chrono_literals;
using test::runCoroutine;

TEST_CASE("delivery: a late settle after the lease was retaken is stale and changes nothing") {
  for (auto backend : test::kJournalBackends) {
    INFO("backend: " << test::journalBackendName(backend));
    test::TempConfig config;
    // A short lease: B may retake the entry while A's call is still running.
    config.write("conf/bus.yaml",
                 "listen: 127.0.0.1:0\n"
                 "journal: { path: ../var/journal.db, poll_interval: 5ms, lease: 50ms }\n");
    config.write("conf/profiles/p.yaml",
                 "routes:\n"
                 "  - service: welfare.notifica\n"
                 "    mode: one-way\n"
                 "    delivery: { attempts: 5, backoff: 1ms, max_backoff: 2ms }\n"
                 "    steps: [ { call: desk } ]\n");
    config.write("conf/tenants/bari.yaml",
                 "tenant: { istat: \"072006\", slug: bari, name: Bari }\nprofile: p\n"
                 "endpoints: { desk: { type: memory } }\n");
    const auto key = config.apiKey();
    core::Bus bus(config.root() / "conf/bus.yaml", config.adapters(), config.runtime());
    core::ConfigErrors errors;
    REQUIRE_MESSAGE(bus.reload(errors), errors.str());
    test::JournalStore store(backend);
    auto journal = store.open();
    bus.setJournal(journal.get());
    core::ApiHandler api(bus);

    // A's call (the first) goes on until B has retaken the entry and its call has begun, then
    // fails as a retryable error would: A settles while B still holds the entry, so only the
    // lease token can tell A's settle is stale. B's call waits until A has settled, then
    // succeeds. Safety timeouts keep a broken bus from hanging the test.
    std::mutex mutex;
    std::condition_variable changed;
    int calls = 0;
    core::DeliveryWorker* worker_a_ptr = nullptr;
    auto desk = std::dynamic_pointer_cast<adapters::memory::MemoryEndpoint>(
        bus.generation()->findTenant("bari")->endpoints.at("desk"));
    desk->setHandler([&](const core::CallRequest& request) -> core::Result<core::XmlDocPtr> {
      std::unique_lock lock(mutex);
      if (++calls == 1) {
        changed.wait_for(lock, 30s, [&] { return calls >= 2; });
        return core::makeError(core::ErrorKind::backend_unavailable, "bari/desk: HTTP 503");
      }
      changed.notify_all();
      lock.unlock();
      for (int i = 0; i < 6000 && worker_a_ptr->inFlight() > 0; ++i) {
        std::this_thread::sleep_for(5ms);
      }
      return core::copyXml(request.body);
    });

    HttpRequest request{http::verb::post, "/api/v1/bari/welfare/notifica", 11};
    request.set(http::field::content_type, "application/json");
    request.set(http::field::authorization, "Bearer " + key);
    request.body() = "{}";
    request.prepare_payload();
    auto accepted = runCoroutine(api.handle(std::move(request)));
    REQUIRE(accepted.result_int() == 202);
    rapidjson::Document doc;
    doc.Parse(accepted.body().c_str());
    const std::string id = doc["id"].GetString();

    // Each worker on an io_context and thread of its own, as in two processes.
    // A's lease is short (bus.yaml); B's is long, so that nobody retakes the entry from B.
    const auto settings = bus.generation()->bus.journal;
    auto long_lease = settings;
    long_lease.lease = 60s;
    net::io_context io_a, io_b;
    core::DeliveryWorker worker_a(io_a, bus, *journal, settings);
    core::DeliveryWorker worker_b(io_b, bus, *journal, long_lease);
    worker_a_ptr = &worker_a;
    worker_a.start();
    std::thread thread_a([&] { io_a.run_for(40s); });
    // B starts once A holds the entry (A's call has begun).
    for (int i = 0; i < 4000; ++i) {
      std::lock_guard lock(mutex);
      if (calls >= 1) break;
      std::this_thread::sleep_for(5ms);
    }
    worker_b.start();
    std::thread thread_b([&] { io_b.run_for(40s); });
    auto settled = [&] {
      auto found = runCoroutine(journal->find("072006", id));
      return found.ok() && found->has_value() && (*found)->state == core::EntryState::delivered &&
             worker_a.inFlight() == 0 && worker_b.inFlight() == 0;
    };
    for (int i = 0; i < 4000 && !settled(); ++i) std::this_thread::sleep_for(5ms);
    // Stopped workers leave their claim loops; the threads return once nothing is left.
    worker_a.stop();
    worker_b.stop();
    thread_a.join();
    thread_b.join();

    auto entry = runCoroutine(journal->find("072006", id));
    REQUIRE(entry.ok());
    REQUIRE(entry->has_value());
    CHECK((*entry)->state == core::EntryState::delivered);  // A's retry did not queue it again
    CHECK((*entry)->attempts == 1);                         // B's first attempt
    CHECK((*entry)->last_error.empty());
    CHECK(calls == 2);
    const auto metrics = bus.metrics().render();
    CAPTURE(metrics);
    CHECK(metrics.find("egov_journal_stale_settles_total{tenant=\"bari\",service=\"welfare."
                       "notifica\",outcome=\"retry\"} 1") != std::string::npos);
    bus.setJournal(nullptr);
  }
}
