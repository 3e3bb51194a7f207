// The delivery of one-way exchanges, through the API and the worker (the journal contract
// itself, on both backends, is in journal_contract_test.cpp).
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <thread>

#include "adapters/memory/memory_endpoint.hpp"
#include "core/cli/commands.hpp"
#include "core/journal/delivery.hpp"
#include "core/net/api.hpp"
#include "tests/support/journal_store.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;
using namespace std::chrono_literals;
using test::runCoroutine;

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
  std::unique_ptr<test::JournalStore> store;
  std::unique_ptr<core::Journal> journal;
  std::unique_ptr<core::ApiHandler> api;

  explicit OneWayFixture(test::JournalBackend backend = test::JournalBackend::sqlite) {
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
                 "    steps: [ { call: desk } ]\n"
                 "  - service: welfare.pratica\n"
                 "    mode: one-way\n"
                 "    order_key: \"fn:map/fn:string[@key='pratica']\"\n"
                 "    delivery: { attempts: 1000, backoff: 1ms, max_backoff: 2ms }\n"
                 "    steps: [ { call: desk } ]\n"
                 "  - service: welfare.lento\n"
                 "    mode: one-way\n"
                 "    delivery: { attempts: 6, backoff: 1ms, max_backoff: 2ms }\n"
                 "    steps: [ { call: desk }, { call: slow } ]\n");
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
                       ", name: X }\nprofile: p\nendpoints:\n  desk: { type: memory }\n"
                       "  slow: { type: memory, retry: { attempts: 2, max_age: 1h } }\n");
    }
    key = config.apiKey();
    bus = std::make_unique<core::Bus>(config.root() / "conf/bus.yaml", config.adapters(),
                                      config.runtime());
    core::ConfigErrors errors;
    REQUIRE_MESSAGE(bus->reload(errors), errors.str());
    store = std::make_unique<test::JournalStore>(backend);
    journal = store->open();
    bus->setJournal(journal.get());
    api = std::make_unique<core::ApiHandler>(*bus);
  }
  ~OneWayFixture() { bus->setJournal(nullptr); }

  std::string key;  // the API key

  HttpResponse post(const std::string& target, const std::string& body,
                    const std::string& idempotency_key = {}) {
    HttpRequest request{http::verb::post, target, 11};
    request.set(http::field::content_type, "application/json");
    request.set(http::field::authorization, "Bearer " + key);
    if (!idempotency_key.empty()) request.set("Idempotency-Key", idempotency_key);
    request.body() = body;
    request.prepare_payload();
    return runCoroutine(api->handle(std::move(request)));
  }
  HttpResponse get(const std::string& target) {
    HttpRequest request{http::verb::get, target, 11};
    request.set(http::field::authorization, "Bearer " + key);
    return runCoroutine(api->handle(std::move(request)));
  }
  std::shared_ptr<adapters::memory::MemoryEndpoint> desk(const char* tenant,
                                                         const char* key = "desk") {
    return std::dynamic_pointer_cast<adapters::memory::MemoryEndpoint>(
        bus->generation()->findTenant(tenant)->endpoints.at(key));
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

namespace {

// A journal that records each claim (how many were asked for, how many came) and whose
// markDelivered waits until open() is called: a delivery's outcome held while it is being
// recorded. Everything else goes straight to the journal inside.
class WatchedJournal final : public core::Journal {
 public:
  explicit WatchedJournal(core::Journal& inner) : inner_(inner) {}
  std::size_t held() const { return held_.size(); }
  void open() {
    for (auto* gate : held_) gate->cancel();
    opened_ = true;
  }
  const std::vector<std::pair<std::size_t, std::size_t>>& claims() const { return claims_; }

  awaitable<core::Result<core::Settled>> markDelivered(std::string id, std::int64_t lease_token,
                                                       int attempts) override {
    if (!opened_) {
      net::steady_timer gate(co_await net::this_coro::executor, std::chrono::hours(1));
      held_.push_back(&gate);
      boost::system::error_code ignored;
      co_await gate.async_wait(net::redirect_error(net::use_awaitable, ignored));
      std::erase(held_, &gate);
    }
    co_return co_await inner_.markDelivered(std::move(id), lease_token, attempts);
  }
  awaitable<core::Result<std::optional<core::JournalEntry>>> find(std::string tenant,
                                                                  std::string id) override {
    return inner_.find(std::move(tenant), std::move(id));
  }
  awaitable<core::Result<std::vector<core::JournalEntry>>> claimDue(
      std::size_t limit, std::chrono::milliseconds lease) override {
    auto due = co_await inner_.claimDue(limit, lease);
    claims_.emplace_back(limit, due ? due->size() : 0);
    co_return due;
  }
  awaitable<core::Result<core::Settled>> reschedule(std::string id, std::int64_t token,
                                                    int attempts, core::EpochMs next,
                                                    std::string error) override {
    return inner_.reschedule(std::move(id), token, attempts, next, std::move(error));
  }
  awaitable<core::Result<core::Settled>> deadLetter(std::string id, std::int64_t token,
                                                    int attempts, std::string error) override {
    return inner_.deadLetter(std::move(id), token, attempts, std::move(error));
  }
  awaitable<core::Result<std::vector<core::JournalEntry>>> listDead(std::string tenant,
                                                                    std::size_t limit) override {
    return inner_.listDead(std::move(tenant), limit);
  }
  awaitable<core::Result<void>> resolveDead(core::DeadLetterAction action) override {
    return inner_.resolveDead(std::move(action));
  }
  awaitable<core::Result<core::BatchFile>> beginBatch(core::BatchFile file) override {
    return inner_.beginBatch(std::move(file));
  }
  awaitable<core::Result<void>> updateBatch(std::string id, std::int64_t done, std::int64_t failed,
                                            std::int64_t total) override {
    return inner_.updateBatch(std::move(id), done, failed, total);
  }
  awaitable<core::Result<void>> finishBatch(std::string id, core::BatchState state,
                                            std::string detail) override {
    return inner_.finishBatch(std::move(id), state, std::move(detail));
  }
  awaitable<core::Result<std::vector<core::BatchFile>>> listBatches(std::string tenant,
                                                                    std::size_t limit) override {
    return inner_.listBatches(std::move(tenant), limit);
  }
  awaitable<core::Result<std::vector<core::JournalEntry>>> searchExchanges(
      core::ExchangeQuery query) override {
    return inner_.searchExchanges(std::move(query));
  }
  awaitable<core::Result<std::vector<core::ExchangeEvent>>> exchangeHistory(
      std::string id) override {
    return inner_.exchangeHistory(std::move(id));
  }

 protected:
  awaitable<core::Result<core::EnqueueOutcome>> store(
      core::JournalEntry entry, std::chrono::milliseconds window,
      std::optional<std::chrono::milliseconds> claim) override {
    return claim ? inner_.enqueueClaimed(std::move(entry), window, *claim)
                 : inner_.enqueue(std::move(entry), window);
  }

 private:
  core::Journal& inner_;
  std::vector<net::steady_timer*> held_;
  bool opened_ = false;
  std::vector<std::pair<std::size_t, std::size_t>> claims_;
};

}  // namespace

TEST_CASE_FIXTURE(OneWayFixture,
                  "one-way: with a slot free an exchange goes straight to delivery, stored "
                  "claimed; three quarters of the slots at most, never an ordered one") {
  auto settings = bus->generation()->bus.journal;
  settings.deliveries = 4;  // three slots for hand-offs, one kept for the claim loop
  net::io_context io;
  core::DeliveryWorker worker(io, *bus, *journal, settings);
  bus->setDelivery(&worker);
  worker.start();  // nothing runs on `io` until below: the deliveries wait there
  // Ordered: claimed in its turn, even with every slot free.
  const auto ordered = idOf(post("/api/v1/bari/welfare/pratica", R"({"pratica":"P-1"})"));
  CHECK(state(ordered) == "queued");
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    auto accepted = post("/api/v1/bari/welfare/domanda", R"({"cf":"RSSMRA80A01A662A"})");
    REQUIRE(accepted.result_int() == 202);
    ids.push_back(idOf(accepted));
  }
  for (int i = 0; i < 3; ++i) {
    CHECK(state(ids[i]) == "delivering");  // committed claimed, handed to the worker
    CHECK(test::leaseToken(*journal, ids[i]) == 1);
  }
  CHECK(state(ids[3]) == "queued");  // no hand-off slot left: the claim loop takes it

  for (int i = 0; i < 2000 && desk("bari")->received().size() < 5; ++i) io.run_for(5ms);
  worker.stop();
  io.restart();
  io.run();
  bus->setDelivery(nullptr);
  REQUIRE(desk("bari")->received().size() == 5);
  for (const auto& id : ids) CHECK(state(id) == "delivered");
  CHECK(state(ordered) == "delivered");
  // The body handed over in memory is the mapped one, as a claim would have read it back.
  for (const auto& body : desk("bari")->received()) {
    if (body.find("RSSMRA80A01A662A") == std::string::npos) continue;
    CHECK(body.find("<string key=\"stamped\">yes</string>") != std::string::npos);
  }
  CHECK(store->sql("SELECT COUNT(*) FROM attempts") == "5");
}

TEST_CASE_FIXTURE(OneWayFixture,
                  "one-way: a repeated Idempotency-Key gives the slot it reserved back") {
  auto settings = bus->generation()->bus.journal;
  settings.deliveries = 2;  // one slot for hand-offs
  net::io_context io;
  core::DeliveryWorker worker(io, *bus, *journal, settings);
  bus->setDelivery(&worker);
  worker.start();
  const auto first = idOf(post("/api/v1/bari/welfare/notifica", "{}", "domanda-7"));
  CHECK(state(first) == "delivering");
  for (int i = 0; i < 2000 && state(first) != "delivered"; ++i) io.run_for(5ms);
  REQUIRE(state(first) == "delivered");
  // The same key: the slot is reserved, the journal finds the first exchange, the slot is
  // given back.
  auto again = post("/api/v1/bari/welfare/notifica", "{}", "domanda-7");
  CHECK(again.result_int() == 202);
  CHECK(idOf(again) == first);
  CHECK(worker.reserve());
  worker.release();
  worker.stop();
  io.restart();
  io.run();
  bus->setDelivery(nullptr);
  CHECK(desk("bari")->received().size() == 1);
}

TEST_CASE_FIXTURE(OneWayFixture,
                  "one-way: a delivery's slot is free while the journal records its outcome") {
  auto settings = bus->generation()->bus.journal;
  settings.deliveries = 2;  // one slot for hand-offs
  WatchedJournal held(*journal);
  net::io_context io;
  core::DeliveryWorker worker(io, *bus, held, settings);
  bus->setDelivery(&worker);
  worker.start();
  const auto id = idOf(post("/api/v1/bari/welfare/notifica", "{}"));
  CHECK(state(id) == "delivering");
  CHECK_FALSE(worker.reserve());  // the one hand-off slot is the delivery's
  for (int i = 0; i < 2000 && held.held() == 0; ++i) io.run_for(5ms);
  REQUIRE(held.held() == 1);  // the back-end has it; the outcome is being recorded
  CHECK(desk("bari")->received().size() == 1);
  CHECK(worker.inFlight() == 1);
  CHECK(worker.reserve());  // the slot is free again
  worker.release();
  held.open();
  for (int i = 0; i < 2000 && state(id) != "delivered"; ++i) io.run_for(5ms);
  CHECK(state(id) == "delivered");
  worker.stop();
  io.restart();
  io.run();
  bus->setDelivery(nullptr);
  CHECK(worker.inFlight() == 0);
}

TEST_CASE_FIXTURE(OneWayFixture,
                  "one-way: claims ask for the quarter hand-offs leave, and for every free slot "
                  "once a claim came back full") {
  auto settings = bus->generation()->bus.journal;
  settings.deliveries = 8;  // a quarter: 2
  WatchedJournal watched(*journal);
  watched.open();
  net::io_context io;
  core::DeliveryWorker worker(io, *bus, watched, settings);
  worker.start();
  for (int i = 0; i < 2000 && watched.claims().empty(); ++i) io.run_for(5ms);
  REQUIRE_FALSE(watched.claims().empty());
  CHECK(watched.claims()[0] == std::pair<std::size_t, std::size_t>{8, 0});  // at start: all
  // A backlog: twelve exchanges stored queued (this bus hands nothing to the worker).
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(idOf(post("/api/v1/bari/welfare/notifica", "{}")));
  worker.wake();
  for (int i = 0; i < 2000 && desk("bari")->received().size() < 12; ++i) io.run_for(5ms);
  worker.stop();
  io.restart();
  io.run();
  REQUIRE(desk("bari")->received().size() == 12);
  for (const auto& id : ids) CHECK(state(id) == "delivered");
  const auto& claims = watched.claims();
  auto first = std::find_if(claims.begin(), claims.end(), [](auto& c) { return c.second > 0; });
  REQUIRE(first != claims.end());
  CHECK(*first == std::pair<std::size_t, std::size_t>{2, 2});  // the quarter, and it was full
  REQUIRE(first + 1 != claims.end());
  CHECK((first + 1)->first == 6);  // then every free slot
}

TEST_CASE_FIXTURE(OneWayFixture,
                  "one-way: the 202 and the exchange's state are JSON, or XML when asked") {
  auto ask = [&](http::verb verb, const std::string& target, const char* accept) {
    HttpRequest request{verb, target, 11};
    request.set(http::field::authorization, "Bearer " + key);
    if (verb == http::verb::post) {
      request.set(http::field::content_type, "application/json");
      request.body() = "{}";
    }
    if (accept) request.set(http::field::accept, accept);
    request.prepare_payload();
    return runCoroutine(api->handle(std::move(request)));
  };
  auto json = ask(http::verb::post, "/api/v1/bari/welfare/notifica", nullptr);
  REQUIRE(json.result_int() == 202);
  CHECK(json[http::field::content_type] == "application/json");
  const auto id = idOf(json);
  const auto url = "/api/v1/bari/exchanges/" + id;
  CHECK(json.body() == R"({"id":")" + id + R"(","state":"queued","status_url":")" + url + R"("})");

  auto xml = ask(http::verb::post, "/api/v1/bari/welfare/notifica", "application/xml");
  REQUIRE(xml.result_int() == 202);
  CHECK(xml[http::field::content_type] == "application/xml");
  const std::string xml_id(xml["X-Egov-Exchange-Id"]);
  CHECK(
      xml.body() ==
      R"(<map xmlns="http://www.w3.org/2005/xpath-functions"><string key="id">)" + xml_id +
          R"(</string><string key="state">queued</string><string key="status_url">/api/v1/bari/exchanges/)" +
          xml_id + "</string></map>");

  auto state_json = ask(http::verb::get, url, nullptr);
  CHECK(state_json.result_int() == 200);
  CHECK(state_json[http::field::content_type] == "application/json");
  CHECK(state(id) == "queued");
  auto state_xml = ask(http::verb::get, url, "application/xml");
  CHECK(state_xml.result_int() == 200);
  CHECK(state_xml[http::field::content_type] == "application/xml");
  CHECK(state_xml.body().find(R"(<string key="state">queued</string>)") != std::string::npos);
  CHECK(state_xml.body().find(R"(<number key="attempts">0</number>)") != std::string::npos);
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

namespace {

// The text of <string key="name"> in a serialized canonical body.
std::string member(const std::string& body, const std::string& name) {
  const std::string open = "<string key=\"" + name + "\">";
  const auto at = body.find(open);
  if (at == std::string::npos) return "";
  const auto from = at + open.size();
  return body.substr(from, body.find('<', from) - from);
}

}  // namespace

TEST_CASE(
    "one-way: exchanges with the same order key are delivered one at a time, in acceptance order") {
  for (auto backend : test::kJournalBackends) {
    INFO("backend: " << test::journalBackendName(backend));
    OneWayFixture f(backend);
    std::vector<std::string> delivered;
    int refusals = 0;
    f.desk("bari")->setHandler(
        [&](const core::CallRequest& request) -> core::Result<core::XmlDocPtr> {
          const auto body = core::serializeXml(request.body);
          const auto tag = member(body, "pratica") + member(body, "n");
          // The head of key A keeps failing until key B is through: B must not wait for it.
          const bool b_done = std::count(delivered.begin(), delivered.end(), "B1") +
                                  std::count(delivered.begin(), delivered.end(), "B2") ==
                              2;
          if (tag == "A1" && !b_done) {
            ++refusals;
            return core::makeError(core::ErrorKind::backend_unavailable, "bari/desk: HTTP 503");
          }
          delivered.push_back(tag);
          return core::copyXml(request.body);
        });
    for (const auto* tag : {"A1", "A2", "B1", "A3", "B2"}) {
      const std::string body =
          std::string(R"({"pratica":")") + tag[0] + R"(","n":")" + tag[1] + "\"}";
      REQUIRE(f.post("/api/v1/bari/welfare/pratica", body).result_int() == 202);
    }
    f.deliverUntil([&] { return delivered.size() == 5; });
    CHECK(refusals >= 1);
    CHECK(delivered == std::vector<std::string>{"B1", "B2", "A1", "A2", "A3"});
  }
}

TEST_CASE_FIXTURE(OneWayFixture,
                  "one-way: an order key longer than 512 bytes is refused before journaling") {
  auto refused =
      post("/api/v1/bari/welfare/pratica", R"({"pratica":")" + std::string(600, 'x') + "\"}");
  CHECK(refused.result_int() == 400);
  CHECK(refused.body().find("order key longer than 512 bytes") != std::string::npos);
  CHECK(runCoroutine(journal->claimDue(10, 60s))->empty());
}

TEST_CASE_FIXTURE(OneWayFixture,
                  "one-way: the retry settings of the endpoint that failed override the route's") {
  int slow_calls = 0;
  desk("bari", "slow")->setHandler([&](const core::CallRequest&) -> core::Result<core::XmlDocPtr> {
    ++slow_calls;
    return core::makeError(core::ErrorKind::backend_unavailable, "bari/slow: HTTP 503");
  });
  const auto at_slow = idOf(post("/api/v1/bari/welfare/lento", "{}"));
  deliverUntil([&] { return state(at_slow) == "dead"; });
  CHECK(slow_calls == 2);  // slow: retry: { attempts: 2 }, not the route's 6

  int desk_calls = 0;
  desk("bari")->setHandler([&](const core::CallRequest&) -> core::Result<core::XmlDocPtr> {
    ++desk_calls;
    return core::makeError(core::ErrorKind::backend_unavailable, "bari/desk: HTTP 503");
  });
  const auto at_desk = idOf(post("/api/v1/bari/welfare/lento", "{}"));
  deliverUntil([&] { return state(at_desk) == "dead"; });
  CHECK(desk_calls == 6);  // desk has no retry of its own: the route's delivery policy
  CHECK(slow_calls == 2);
  auto dead = runCoroutine(journal->listDead("072006", 10));
  REQUIRE(dead->size() == 2);
  CHECK(dead->front().last_error.find("gave up after 2 attempts") != std::string::npos);
  CHECK(dead->back().last_error.find("gave up after 6 attempts") != std::string::npos);
}

TEST_CASE("one-way: an endpoint's max_age dead-letters a delivery that failed after it") {
  test::TempConfig config;
  config.write("conf/bus.yaml",
               "listen: 127.0.0.1:0\njournal: { path: ../var/j.db, poll_interval: 5ms }\n");
  config.write("conf/profiles/p.yaml",
               "routes:\n  - service: a.b\n    mode: one-way\n"
               "    delivery: { attempts: 100, backoff: 1ms, max_backoff: 2ms }\n"
               "    steps: [ { call: old } ]\n");
  config.write("conf/tenants/bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\nprofile: p\n"
               "endpoints: { old: { type: memory, error: backend_unavailable, status: 503, retry: "
               "{ max_age: 1ms } } }\n");
  core::Bus bus(config.root() / "conf/bus.yaml", config.adapters(), config.runtime());
  core::ConfigErrors errors;
  REQUIRE_MESSAGE(bus.reload(errors), errors.str());
  test::JournalStore store(test::JournalBackend::sqlite);
  auto journal = store.open();
  auto e = test::journalEntry("old-1");
  e.service = "a.b";
  REQUIRE(runCoroutine(journal->enqueue(e, 24h)).ok());
  std::this_thread::sleep_for(5ms);  // older than the endpoint's max_age before its first attempt
  net::io_context io;
  core::DeliveryWorker worker(io, bus, *journal, bus.generation()->bus.journal);
  worker.start();
  for (int i = 0; i < 2000; ++i) {
    io.run_for(5ms);
    if (!runCoroutine(journal->listDead("", 10))->empty()) break;
  }
  worker.stop();
  io.restart();
  io.run();
  auto entry = *runCoroutine(journal->find("072006", "old-1"));
  CHECK(entry->state == core::EntryState::dead);
  CHECK(entry->attempts == 1);
  CHECK(entry->last_error.find("too old after 1 attempts") != std::string::npos);
}

TEST_CASE("one-way: config mistakes in order_key and endpoint retry are reported with their line") {
  test::TempConfig config;
  config.write("conf/tenants/bari.yaml",
               "tenant: { istat: \"072006\", slug: bari, name: Bari }\nprofile: p\n"
               "endpoints:\n"
               "  desk: { type: memory, retry: { attempts: 0, tries: 3 } }\n"
               "  web: { type: http, url: \"http://127.0.0.1:1\", retry: { backoff: 5s, "
               "max_backoff: 1s } }\n"
               "  ok: { type: http, url: \"http://127.0.0.1:1\", retry: { attempts: 5, backoff: "
               "1s, max_age: 2h } }\n");
  config.write("conf/profiles/p.yaml",
               "routes:\n"
               "  - service: a.b\n"
               "    order_key: \"fn:map/fn:string[@key='x'\"\n"
               "    mode: one-way\n"
               "    steps: [ { call: desk } ]\n"
               "  - service: a.c\n"
               "    order_key: \"fn:map/fn:string[@key='x']\"\n"
               "    steps: [ { call: web }, { call: ok } ]\n");
  CHECK(config.load() == nullptr);
  const auto text = config.errorText();
  CHECK(text.find("conf/profiles/p.yaml:3:16: routes[0].order_key: invalid XPath") !=
        std::string::npos);
  CHECK(text.find("routes[1].order_key: only one-way routes are delivered in order") !=
        std::string::npos);
  CHECK(text.find("conf/tenants/bari.yaml:4:") != std::string::npos);
  CHECK(text.find("endpoints.desk.retry.attempts") != std::string::npos);
  CHECK(text.find("endpoints.desk.retry.tries") != std::string::npos);
  CHECK(text.find("endpoints.web.retry.max_backoff: shorter than backoff") != std::string::npos);
  // `retry` belongs to the core: the http adapter does not call it an unknown key.
  CHECK(text.find("endpoints.ok") == std::string::npos);
  CHECK(text.find("endpoints.web.retry:") == std::string::npos);
}
