// The SQLite journal and the delivery of one-way exchanges, through the API and the worker.
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <thread>

#include "adapters/memory/memory_endpoint.hpp"
#include "core/cli/commands.hpp"
#include "core/journal/delivery.hpp"
#include "core/journal/sqlite_journal.hpp"
#include "core/net/api.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;
using namespace std::chrono_literals;
using test::runCoroutine;

namespace {

core::JournalEntry entry(std::string id, std::string key = {}) {
  core::JournalEntry e;
  e.id = std::move(id);
  e.tenant_istat = "072006";
  e.tenant_slug = "bari";
  e.service = "welfare.domanda";
  e.method = "POST";
  e.body = "<map xmlns=\"http://www.w3.org/2005/xpath-functions\"/>";
  e.resume_step = 1;
  e.idempotency_key = std::move(key);
  return e;
}

std::unique_ptr<core::SqliteJournal> openJournal(const std::filesystem::path& file) {
  auto journal = core::SqliteJournal::open(file);
  if (!journal.ok()) FAIL(journal.error().message);
  return std::move(journal).value();
}

}  // namespace

TEST_CASE("journal: a batch file is recorded once per (source, name, hash) and resumes") {
  test::TempConfig dir;
  const auto file = dir.root() / "var/journal.db";
  core::BatchFile batch;
  batch.id = "batch-1";
  batch.tenant_istat = "072006";
  batch.source = "bari/tari-drop";
  batch.file_name = "tari-2026.csv";
  batch.content_hash = "abc123";
  {
    auto journal = openJournal(file);
    auto begun = runCoroutine(journal->beginBatch(batch));
    REQUIRE(begun.ok());
    CHECK(begun->id == "batch-1");
    CHECK(begun->state == core::BatchState::running);
    CHECK(begun->started_ms > 0);
    REQUIRE(runCoroutine(journal->updateBatch("batch-1", 500, 3, 1000)).ok());
    CHECK(runCoroutine(journal->updateBatch("nope", 1, 0, 1)).error().kind ==
          core::ErrorKind::not_found);
  }
  auto journal = openJournal(file);  // a restart resumes where it was
  auto again = batch;
  again.id = "batch-2";
  auto resumed = runCoroutine(journal->beginBatch(again));
  REQUIRE(resumed.ok());
  CHECK(resumed->id == "batch-1");
  CHECK(resumed->rows_done == 500);
  CHECK(resumed->rows_failed == 3);
  CHECK(resumed->rows_total == 1000);
  REQUIRE(runCoroutine(journal->finishBatch("batch-1", core::BatchState::done, "done/")).ok());
  CHECK(runCoroutine(journal->beginBatch(again))->state == core::BatchState::done);

  // The same name with other content is another file; so is the same content elsewhere.
  auto changed = batch;
  changed.id = "batch-3";
  changed.content_hash = "def456";
  CHECK(runCoroutine(journal->beginBatch(changed))->id == "batch-3");
  auto molfetta = batch;
  molfetta.id = "batch-4";
  molfetta.tenant_istat = "072029";
  molfetta.source = "molfetta/tari-drop";
  CHECK(runCoroutine(journal->beginBatch(molfetta))->id == "batch-4");

  auto bari = runCoroutine(journal->listBatches("072006", 10));
  REQUIRE(bari.ok());
  REQUIRE(bari->size() == 2);
  CHECK((*bari)[0].id == "batch-3");  // most recent first
  CHECK((*bari)[1].state == core::BatchState::done);
  CHECK((*bari)[1].detail == "done/");
  CHECK(runCoroutine(journal->listBatches("", 10))->size() == 3);
}

TEST_CASE("journal: enqueue is durable across a reopen, idempotency keys dedupe per tenant") {
  test::TempConfig dir;
  const auto file = dir.root() / "var/journal.db";
  {
    auto journal = openJournal(file);
    auto first = runCoroutine(journal->enqueue(entry("a", "key-1"), 24h));
    REQUIRE(first.ok());
    CHECK_FALSE(first->duplicate);
    auto again = runCoroutine(journal->enqueue(entry("b", "key-1"), 24h));
    REQUIRE(again.ok());
    CHECK(again->duplicate);
    CHECK(again->id == "a");
    auto other_tenant = entry("c", "key-1");
    other_tenant.tenant_istat = "072029";
    CHECK_FALSE(runCoroutine(journal->enqueue(other_tenant, 24h))->duplicate);
    // An expired key no longer dedupes.
    CHECK_FALSE(runCoroutine(journal->enqueue(entry("d", "key-2"), -1ms))->duplicate);
    CHECK_FALSE(runCoroutine(journal->enqueue(entry("e", "key-2"), 24h))->duplicate);
  }
  auto reopened = openJournal(file);
  auto found = runCoroutine(reopened->find("072006", "a"));
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->state == core::EntryState::queued);
  CHECK((*found)->resume_step == 1);
  CHECK_FALSE(runCoroutine(reopened->find("072006", "b"))->has_value());
  CHECK_FALSE(runCoroutine(reopened->find("072029", "a"))->has_value());  // tenants are separate
}

TEST_CASE("journal: claim, lease expiry, retry, dead letter, replay and discard") {
  test::TempConfig dir;
  auto journal = openJournal(dir.root() / "journal.db");
  REQUIRE(runCoroutine(journal->enqueue(entry("a"), 24h)).ok());
  REQUIRE(runCoroutine(journal->enqueue(entry("b"), 24h)).ok());

  auto claimed = runCoroutine(journal->claimDue(10, 60s));
  REQUIRE(claimed.ok());
  CHECK(claimed->size() == 2);
  CHECK(runCoroutine(journal->claimDue(10, 60s))->empty());  // leased

  // A delivery cut off (crash) is retaken once its lease has expired.
  REQUIRE(runCoroutine(journal->reschedule("a", 1, core::nowMs() + 3'600'000, "HTTP 503")).ok());
  REQUIRE(runCoroutine(journal->enqueue(entry("c"), 24h)).ok());
  auto crashed = runCoroutine(journal->claimDue(10, -1ms));  // lease already over
  REQUIRE(crashed->size() == 1);
  CHECK(crashed->front().id == "c");
  auto retaken = runCoroutine(journal->claimDue(10, 60s));
  REQUIRE(retaken->size() == 1);
  CHECK(retaken->front().id == "c");

  REQUIRE(runCoroutine(journal->deadLetter("b", 3, "gave up after 3 attempts")).ok());
  auto dead = runCoroutine(journal->listDead("", 10));
  REQUIRE(dead->size() == 1);
  CHECK(dead->front().id == "b");
  CHECK(dead->front().last_error == "gave up after 3 attempts");
  CHECK(runCoroutine(journal->listDead("072029", 10))->empty());

  REQUIRE(runCoroutine(journal->resolveDead({"b", "replay", "operatore", "back-end fixed"})).ok());
  auto replayed = runCoroutine(journal->find("072006", "b"));
  CHECK((*replayed)->state == core::EntryState::queued);
  CHECK((*replayed)->attempts == 0);
  auto not_dead = runCoroutine(journal->resolveDead({"b", "discard", "operatore", "twice"}));
  REQUIRE_FALSE(not_dead.ok());
  CHECK(not_dead.error().kind == core::ErrorKind::not_found);

  REQUIRE(runCoroutine(journal->deadLetter("c", 1, "HTTP 400")).ok());
  REQUIRE(runCoroutine(journal->resolveDead({"c", "discard", "operatore", "duplicate"})).ok());
  CHECK((*runCoroutine(journal->find("072006", "c")))->state == core::EntryState::discarded);
}

TEST_CASE("journal: many concurrent enqueues share commits and all land") {
  test::TempConfig dir;
  auto journal = openJournal(dir.root() / "journal.db");
  net::io_context io;
  int stored = 0;
  for (int i = 0; i < 200; ++i) {
    net::co_spawn(
        io,
        [&, i]() -> awaitable<void> {
          auto r = co_await journal->enqueue(entry("id-" + std::to_string(i)), 24h);
          if (r.ok()) ++stored;
        },
        net::detached);
  }
  io.run();
  CHECK(stored == 200);
  CHECK(runCoroutine(journal->claimDue(1000, 60s))->size() == 200);
}

TEST_CASE("journal: a file from a newer egovbus is refused") {
  test::TempConfig dir;
  const auto file = dir.root() / "journal.db";
  { openJournal(file); }
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    sqlite3_exec(db, "INSERT INTO schema_version VALUES (99)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  auto journal = core::SqliteJournal::open(file);
  REQUIRE_FALSE(journal.ok());
  CHECK(journal.error().message.find("schema version 99 is newer") != std::string::npos);
}

TEST_CASE("journal: retry delays grow exponentially, with jitter, up to the cap") {
  core::DeliveryPolicy policy;
  policy.backoff = 1000ms;
  policy.max_backoff = 10'000ms;
  for (int i = 0; i < 50; ++i) {
    auto first = core::DeliveryWorker::retryDelay(policy, 1);
    CHECK(first >= 500ms);
    CHECK(first <= 1000ms);
    auto third = core::DeliveryWorker::retryDelay(policy, 3);
    CHECK(third >= 2000ms);
    CHECK(third <= 4000ms);
    auto capped = core::DeliveryWorker::retryDelay(policy, 20);
    CHECK(capped >= 5000ms);
    CHECK(capped <= 10'000ms);
  }
}

namespace {

struct OneWayFixture {
  test::TempConfig config;
  std::unique_ptr<core::Bus> bus;
  std::unique_ptr<core::SqliteJournal> journal;
  std::unique_ptr<core::ApiHandler> api;

  OneWayFixture() {
    config.write("conf/bus.yaml",
                 "listen: 127.0.0.1:0\njournal: { path: ../var/journal.db, poll_interval: 5ms }\n");
    config.write("conf/profiles/p.yaml",
                 "routes:\n"
                 "  - service: welfare.domanda\n"
                 "    delivery: { attempts: 3, backoff: 1ms, max_backoff: 2ms }\n"
                 "    steps:\n"
                 "      - map: stamp.xsl\n"
                 "      - enqueue: {}\n"
                 "      - call: desk\n"
                 "  - service: welfare.notifica\n"
                 "    mode: one-way\n"
                 "    steps: [ { call: desk } ]\n");
    config.write(
        "mappings/stamp.xsl",
        "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\"\n"
        "    xmlns=\"http://www.w3.org/2005/xpath-functions\" "
        "xmlns:fn=\"http://www.w3.org/2005/xpath-functions\">\n"
        "  <xsl:template match=\"/fn:map\">\n"
        "    <xsl:if test=\"not(fn:string[@key='cf'])\"><xsl:message "
        "terminate=\"yes\">bad-request: cf missing</xsl:message></xsl:if>\n"
        "    <map><string key=\"cf\"><xsl:value-of select=\"fn:string[@key='cf']\"/></string>"
        "<string key=\"stamped\">yes</string></map>\n"
        "  </xsl:template>\n"
        "</xsl:stylesheet>\n");
    for (auto [istat, slug] : {std::pair{"072006", "bari"}, std::pair{"072029", "molfetta"}}) {
      config.write(std::string("conf/tenants/") + slug + ".yaml",
                   std::string("tenant: { istat: \"") + istat + "\", slug: " + slug +
                       ", name: X }\nprofile: p\nendpoints: { desk: { type: memory } }\n");
    }
    bus = std::make_unique<core::Bus>(config.root() / "conf/bus.yaml", config.adapters(),
                                      config.runtime());
    core::ConfigErrors errors;
    REQUIRE_MESSAGE(bus->reload(errors), errors.str());
    journal = openJournal(bus->generation()->bus.journal.path);
    bus->setJournal(journal.get());
    api = std::make_unique<core::ApiHandler>(*bus);
  }
  ~OneWayFixture() { bus->setJournal(nullptr); }

  HttpResponse post(const std::string& target, const std::string& body,
                    const std::string& key = {}) {
    HttpRequest request{http::verb::post, target, 11};
    request.set(http::field::content_type, "application/json");
    if (!key.empty()) request.set("Idempotency-Key", key);
    request.body() = body;
    request.prepare_payload();
    return runCoroutine(api->handle(std::move(request)));
  }
  HttpResponse get(const std::string& target) {
    HttpRequest request{http::verb::get, target, 11};
    return runCoroutine(api->handle(std::move(request)));
  }
  std::shared_ptr<adapters::memory::MemoryEndpoint> desk(const char* tenant) {
    return std::dynamic_pointer_cast<adapters::memory::MemoryEndpoint>(
        bus->generation()->findTenant(tenant)->endpoints.at("desk"));
  }
  // Runs the delivery worker until `done` holds (checked between polls), at most ~10 s.
  template <class Done>
  void deliverUntil(Done done) {
    net::io_context io;
    core::DeliveryWorker worker(io, *bus, *journal, bus->generation()->bus.journal);
    worker.start();
    for (int i = 0; i < 2000 && !done(); ++i) io.run_for(5ms);
    worker.stop();
    io.restart();
    io.run();  // until the claim loop and every delivery have settled with the journal
  }
  std::string state(const std::string& id) {
    rapidjson::Document doc;
    doc.Parse(get("/api/v1/bari/exchanges/" + id).body().c_str());
    return doc.HasMember("state") ? doc["state"].GetString() : "";
  }
};

std::string idOf(const HttpResponse& response) {
  rapidjson::Document doc;
  doc.Parse(response.body().c_str());
  return doc.HasMember("id") ? doc["id"].GetString() : "";
}

}  // namespace

TEST_CASE_FIXTURE(OneWayFixture, "one-way: 202 after the journal commit, state, then delivery") {
  auto accepted = post("/api/v1/bari/welfare/domanda", R"({"cf":"RSSMRA80A01A662A"})");
  CHECK(accepted.result_int() == 202);
  const auto id = idOf(accepted);
  REQUIRE(id.size() == 36);
  CHECK(accepted[http::field::location] == "/api/v1/bari/exchanges/" + id);
  CHECK(std::string(accepted["X-Egov-Exchange-Id"]) == id);
  CHECK(desk("bari")->received().empty());  // nothing delivered while the caller waited
  CHECK(state(id) == "queued");
  CHECK(get("/api/v1/molfetta/exchanges/" + id).result_int() == 404);  // not another tenant's

  deliverUntil([&] { return desk("bari")->received().size() == 1; });
  REQUIRE(desk("bari")->received().size() == 1);
  // The steps before `enqueue` ran before the hand-off, the rest at delivery.
  CHECK(desk("bari")->received()[0].find("<string key=\"stamped\">yes</string>") !=
        std::string::npos);
  CHECK(state(id) == "delivered");
}

TEST_CASE_FIXTURE(OneWayFixture,
                  "one-way: a request the steps before enqueue refuse is not journaled") {
  auto refused = post("/api/v1/bari/welfare/domanda", R"({"other":1})");
  CHECK(refused.result_int() == 400);
  CHECK(runCoroutine(journal->claimDue(10, 60s))->empty());
}

TEST_CASE_FIXTURE(OneWayFixture, "one-way: the same Idempotency-Key gives the same exchange") {
  auto first = post("/api/v1/bari/welfare/notifica", "{}", "domanda-42");
  auto second = post("/api/v1/bari/welfare/notifica", "{}", "domanda-42");
  CHECK(first.result_int() == 202);
  CHECK(second.result_int() == 202);
  CHECK(idOf(first) == idOf(second));
  CHECK(second["Idempotent-Replayed"] == "true");
  auto elsewhere = post("/api/v1/molfetta/welfare/notifica", "{}", "domanda-42");
  CHECK(idOf(elsewhere) != idOf(first));
  CHECK(post("/api/v1/bari/welfare/notifica", "{}", std::string(200, 'k')).result_int() == 400);
}

TEST_CASE_FIXTURE(OneWayFixture, "one-way: retryable failures are retried, then delivered") {
  int calls = 0;
  desk("bari")->setHandler([&](const core::CallRequest& request) -> core::Result<core::XmlDocPtr> {
    if (++calls < 3)
      return core::makeError(core::ErrorKind::backend_unavailable, "bari/desk: HTTP 503");
    return core::copyXml(request.body);
  });
  const auto id = idOf(post("/api/v1/bari/welfare/notifica", "{}"));
  deliverUntil([&] { return state(id) == "delivered"; });
  CHECK(calls == 3);
  CHECK(state(id) == "delivered");
}

TEST_CASE_FIXTURE(
    OneWayFixture,
    "one-way: permanent errors dead-letter at once, retryable ones after the attempts") {
  desk("bari")->setHandler([](const core::CallRequest&) -> core::Result<core::XmlDocPtr> {
    return core::makeError(core::ErrorKind::backend_rejected, "bari/desk: HTTP 400");
  });
  const auto rejected = idOf(post("/api/v1/bari/welfare/notifica", "{}"));
  deliverUntil([&] { return state(rejected) == "dead"; });
  CHECK(desk("bari")->received().size() == 1);

  int calls = 0;
  desk("bari")->setHandler([&](const core::CallRequest&) -> core::Result<core::XmlDocPtr> {
    ++calls;
    return core::makeError(core::ErrorKind::backend_unavailable, "bari/desk: HTTP 503");
  });
  const auto down = idOf(post("/api/v1/bari/welfare/domanda", R"({"cf":"x"})"));
  deliverUntil([&] { return state(down) == "dead"; });
  CHECK(calls == 3);  // delivery: { attempts: 3 }
  auto dead = runCoroutine(journal->listDead("072006", 10));
  REQUIRE(dead->size() == 2);
  CHECK(dead->back().last_error.find("gave up after 3 attempts") != std::string::npos);
}

TEST_CASE("one-way: config mistakes around enqueue are reported") {
  test::TempConfig config;
  config.write("conf/tenants/bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\nprofile: p\n"
               "endpoints: { desk: { type: memory } }\n");
  config.write("conf/profiles/p.yaml",
               "routes:\n"
               "  - service: a.b\n"
               "    mode: sometimes\n"
               "    steps: [ { enqueue: {} }, { enqueue: {} } ]\n"
               "  - service: a.c\n"
               "    delivery: { attempts: 3 }\n"
               "    steps:\n"
               "      - choose:\n"
               "          - otherwise: [ { enqueue: {} } ]\n");
  CHECK(config.load() == nullptr);
  const auto text = config.errorText();
  CHECK(text.find("conf/profiles/p.yaml:3:11: routes[0].mode: expected request-reply or one-way") !=
        std::string::npos);
  CHECK(text.find("routes[0].steps[1]: a route has at most one enqueue step") != std::string::npos);
  CHECK(text.find("routes[1].delivery: only one-way routes are delivered later") !=
        std::string::npos);
  CHECK(text.find("enqueue belongs in the route's own step list") != std::string::npos);
}

TEST_CASE("journal: egovbus dlq lists, replays and discards, and needs a reason") {
  test::TempConfig config;
  config.write("conf/bus.yaml", "listen: 127.0.0.1:0\njournal: { path: ../var/j.db }\n");
  const auto bus_file = (config.root() / "conf/bus.yaml").string();
  {
    auto journal = openJournal(config.root() / "var/j.db");
    REQUIRE(runCoroutine(journal->enqueue(entry("x"), 24h)).ok());
    REQUIRE(runCoroutine(journal->enqueue(entry("y"), 24h)).ok());
    REQUIRE(runCoroutine(journal->deadLetter("x", 2, "HTTP 400")).ok());
    REQUIRE(runCoroutine(journal->deadLetter("y", 2, "HTTP 400")).ok());
  }
  CHECK(core::dlqCommand({bus_file, "list", "", "", "", "t"}) == 0);
  CHECK(core::dlqCommand({bus_file, "show", "x", "", "", "t"}) == 0);
  CHECK(core::dlqCommand({bus_file, "show", "nope", "", "", "t"}) == 1);
  CHECK(core::dlqCommand({bus_file, "replay", "x", "", "", "t"}) == 2);  // no reason
  CHECK(core::dlqCommand({bus_file, "replay", "x", "", "fixed", "t"}) == 0);
  CHECK(core::dlqCommand({bus_file, "discard", "y", "", "duplicate", "t"}) == 0);
  CHECK(core::dlqCommand({bus_file, "discard", "y", "", "again", "t"}) == 1);  // no longer dead
  auto journal = openJournal(config.root() / "var/j.db");
  CHECK((*runCoroutine(journal->find("072006", "x")))->state == core::EntryState::queued);
  CHECK((*runCoroutine(journal->find("072006", "y")))->state == core::EntryState::discarded);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((config.root() / "var/j.db").c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT action, who, why FROM dead_letter_actions ORDER BY rowid", -1,
                     &stmt, nullptr);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))) == "replay");
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1))) == "t");
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 2))) == "fixed");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}
