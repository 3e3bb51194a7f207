// The admin API's operator views (core/net/admin_views.cpp) and the web console's files
// (core/net/console.cpp): tenants with live endpoint health, exchange search and the audited
// payload, batch files, traffic per 10 s — each limited to the admin key's tenants.
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include "core/engine/endpoint_guard.hpp"
#include "core/journal/sqlite_journal.hpp"
#include "core/metrics/traffic.hpp"
#include "core/net/admin_support.hpp"
#include "core/net/api.hpp"
#include "core/net/console.hpp"
#include "core/security/audit_trail.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;
using egov::test::TempConfig;

namespace {

const char* kProfile =
    "routes:\n"
    "  - service: tributi.posizioni\n    steps: [ { call: echo } ]\n"
    "  - service: tributi.avviso\n    mode: one-way\n    steps: [ { call: echo } ]\n"
    "  - service: welfare.domanda\n    mode: one-way\n    steps: [ { call: refuses } ]\n"
    "  - service: anagrafe.residenza\n    steps: [ { call: down } ]\n";

struct AdminFixture {
  TempConfig config;
  std::unique_ptr<core::Bus> bus;
  std::unique_ptr<core::SqliteJournal> journal;
  std::unique_ptr<core::ApiHandler> api;
  std::map<std::string, std::string> keys;

  AdminFixture() {
    config.write("conf/bus.yaml", "listen: 127.0.0.1:0\n");
    config.write("conf/profiles/p.yaml", kProfile);
    for (auto [istat, slug] : {std::pair{"072006", "bari"}, std::pair{"072029", "molfetta"}}) {
      config.write(std::string("conf/tenants/") + slug + ".yaml",
                   std::string("tenant: { istat: \"") + istat + "\", slug: " + slug + ", name: N-" +
                       slug +
                       " }\nprofile: p\nendpoints:\n"
                       "  echo: { type: memory }\n"
                       "  refuses: { type: memory, error: backend_rejected, status: 400 }\n"
                       "  down: { type: memory, error: backend_unavailable, status: 503,\n"
                       "          breaker: { failures: 2, open_for: 600s } }\n");
    }
    keys["portal"] = config.apiKey("portal", {"*"}, {"*"});
    keys["ops"] = config.apiKey("ops", {"*"}, {"*"}, core::KeyKind::admin);
    keys["bari-ops"] = config.apiKey("bari-ops", {"bari"}, {"*"}, core::KeyKind::admin);
    bus = std::make_unique<core::Bus>(config.root() / "conf/bus.yaml", config.adapters(),
                                      config.runtime());
    core::ConfigErrors errors;
    REQUIRE_MESSAGE(bus->reload(errors), errors.str());
    auto opened = core::SqliteJournal::open(bus->generation()->bus.journal.path);
    REQUIRE(opened);
    journal = std::move(opened).value();
    bus->setJournal(journal.get());
    api = std::make_unique<core::ApiHandler>(*bus);
  }
  ~AdminFixture() {
    bus->setJournal(nullptr);
    bus->setAudit(nullptr);
  }

  HttpResponse call(http::verb verb, const std::string& target, const std::string& key,
                    const std::string& body = {}) {
    HttpRequest request{verb, target, 11};
    if (!key.empty()) request.set(http::field::authorization, "Bearer " + key);
    if (!body.empty()) {
      request.set(http::field::content_type, "application/json");
      request.body() = body;
    }
    request.prepare_payload();
    return test::runCoroutine(api->handle(std::move(request)));
  }
  rapidjson::Document get(const std::string& target, const std::string& key, int status = 200) {
    auto response = call(http::verb::get, target, key);
    CHECK_MESSAGE(response.result_int() == status, target, " ", response.body());
    rapidjson::Document doc;
    doc.Parse(response.body().c_str());
    REQUIRE_FALSE(doc.HasParseError());
    return doc;
  }
  // A one-way exchange accepted (202); its id.
  std::string queue(const std::string& tenant, const std::string& service,
                    const std::string& body = "{}") {
    std::string path = service;
    std::replace(path.begin(), path.end(), '.', '/');
    auto response = call(http::verb::post, "/api/v1/" + tenant + "/" + path, keys["portal"], body);
    REQUIRE(response.result_int() == 202);
    rapidjson::Document doc;
    doc.Parse(response.body().c_str());
    return doc["id"].GetString();
  }
  // Dead-letters `id` as a delivery would: claims what is due, dead-letters it with the
  // claim's lease token and puts the others back as they were.
  void deadLetter(const std::string& id, const std::string& error) {
    auto claimed = test::runCoroutine(journal->claimDue(100, std::chrono::seconds(60)));
    REQUIRE(claimed.ok());
    bool found = false;
    for (const auto& entry : *claimed) {
      if (entry.id == id) {
        found = true;
        REQUIRE(*test::runCoroutine(journal->deadLetter(entry.id, entry.lease_token, 1, error)) ==
                core::Settled::applied);
      } else {
        REQUIRE(*test::runCoroutine(journal->reschedule(entry.id, entry.lease_token, entry.attempts,
                                                        entry.next_attempt_ms, entry.last_error)) ==
                core::Settled::applied);
      }
    }
    REQUIRE(found);
  }
};

std::string str(const rapidjson::Value& v) {
  return v.IsString() ? v.GetString() : "";
}

const rapidjson::Value* findBy(const rapidjson::Value& array, const char* key,
                               const std::string& value) {
  for (const auto& item : array.GetArray()) {
    if (str(item[key]) == value) return &item;
  }
  return nullptr;
}

}  // namespace

TEST_CASE_FIXTURE(AdminFixture, "admin views: tenants with their services' health, per scope") {
  CHECK(call(http::verb::get, "/admin/v1/tenants", keys["portal"]).result_int() == 403);
  CHECK(call(http::verb::get, "/admin/v1/tenants", "").result_int() == 401);
  CHECK(call(http::verb::post, "/admin/v1/tenants", keys["ops"]).result_int() == 405);

  auto idle = get("/admin/v1/tenants", keys["ops"]);
  REQUIRE(idle["tenants"].Size() == 2);
  const auto* bari = findBy(idle["tenants"], "slug", "bari");
  REQUIRE(bari);
  CHECK(str((*bari)["istat"]) == "072006");
  CHECK(str((*bari)["name"]) == "N-bari");
  CHECK(str((*bari)["profile"]) == "p");
  CHECK((*bari)["services"].Size() == 4);
  CHECK(str((*bari)["health"]) == "idle");
  const auto* avviso = findBy((*bari)["services"], "service", "tributi.avviso");
  REQUIRE(avviso);
  CHECK(str((*avviso)["mode"]) == "one-way");

  // Bari's echo answers; Molfetta's registry is down.
  CHECK(call(http::verb::get, "/api/v1/bari/tributi/posizioni", keys["portal"]).result_int() ==
        200);
  CHECK(call(http::verb::get, "/api/v1/molfetta/anagrafe/residenza", keys["portal"]).result_int() ==
        502);
  auto live = get("/admin/v1/tenants", keys["ops"]);
  bari = findBy(live["tenants"], "slug", "bari");
  const auto* molfetta = findBy(live["tenants"], "slug", "molfetta");
  CHECK(str((*bari)["health"]) == "ok");
  CHECK(str((*findBy((*bari)["services"], "service", "tributi.posizioni"))["health"]) == "ok");
  CHECK(str((*findBy((*bari)["services"], "service", "anagrafe.residenza"))["health"]) == "idle");
  CHECK(str((*molfetta)["health"]) == "down");
  CHECK(str((*findBy((*molfetta)["services"], "service", "anagrafe.residenza"))["health"]) ==
        "down");

  // An admin of Bari sees Bari only.
  auto scoped = get("/admin/v1/tenants", keys["bari-ops"]);
  REQUIRE(scoped["tenants"].Size() == 1);
  CHECK(str(scoped["tenants"][0]["slug"]) == "bari");
}

TEST_CASE_FIXTURE(AdminFixture, "admin views: a tenant's routes and endpoints with live health") {
  for (int i = 0; i < 2; ++i) {  // two failures open the breaker
    CHECK(call(http::verb::get, "/api/v1/bari/anagrafe/residenza", keys["portal"]).result_int() ==
          502);
  }
  CHECK(call(http::verb::get, "/api/v1/bari/tributi/posizioni", keys["portal"]).result_int() ==
        200);
  auto bari = get("/admin/v1/tenants/072006", keys["bari-ops"]);  // by ISTAT code too
  CHECK(str(bari["slug"]) == "bari");
  const auto* route = findBy(bari["routes"], "service", "anagrafe.residenza");
  REQUIRE(route);
  REQUIRE((*route)["endpoints"].Size() == 1);
  CHECK(str((*route)["endpoints"][0]) == "down");
  CHECK(str((*route)["health"]) == "down");
  const auto* down = findBy(bari["endpoints"], "key", "down");
  REQUIRE(down);
  CHECK(str((*down)["type"]) == "memory");
  CHECK(str((*down)["name"]) == "bari/down");
  CHECK((*down)["limits"]["breaker_failures"].GetInt() == 2);
  const auto& health = (*down)["health"];
  CHECK(str(health["breaker"]) == "open");
  CHECK(str(health["status"]) == "down");
  CHECK(health["calls"].GetUint64() == 2);
  CHECK(health["errors"].GetUint64() == 2);
  CHECK(health["error_rate"].GetDouble() == 1.0);
  CHECK(health["in_flight"].GetInt() == 0);
  CHECK(health["queued"].GetInt() == 0);
  const auto& echo = (*findBy(bari["endpoints"], "key", "echo"))["health"];
  CHECK(str(echo["breaker"]) == "none");
  CHECK(str(echo["status"]) == "ok");
  CHECK(echo["calls"].GetUint64() == 1);
  CHECK(echo["errors"].GetUint64() == 0);
  // Molfetta's endpoints have their own guards.
  auto molfetta = get("/admin/v1/tenants/molfetta", keys["ops"]);
  CHECK(str((*findBy(molfetta["endpoints"], "key", "down"))["health"]["breaker"]) == "closed");

  // Out of scope and unknown answer alike.
  auto hidden = get("/admin/v1/tenants/molfetta", keys["bari-ops"], 403);
  auto unknown = get("/admin/v1/tenants/atlantide", keys["bari-ops"], 403);
  CHECK(str(hidden["detail"]) == str(unknown["detail"]));
}

TEST_CASE_FIXTURE(AdminFixture, "admin views: exchanges searched by tenant, service, state, time") {
  const auto b1 = queue("bari", "tributi.avviso");
  const auto b2 = queue("bari", "welfare.domanda");
  const auto m1 = queue("molfetta", "tributi.avviso");
  deadLetter(b2, "HTTP 400");

  auto ids = [](const rapidjson::Document& doc) {
    std::set<std::string> out;
    for (const auto& e : doc["exchanges"].GetArray()) out.insert(str(e["id"]));
    return out;
  };
  CHECK(ids(get("/admin/v1/exchanges", keys["ops"])) == std::set<std::string>{b1, b2, m1});
  CHECK(ids(get("/admin/v1/exchanges", keys["bari-ops"])) == std::set<std::string>{b1, b2});
  CHECK(ids(get("/admin/v1/exchanges?tenant=molfetta", keys["ops"])) == std::set<std::string>{m1});
  get("/admin/v1/exchanges?tenant=molfetta", keys["bari-ops"], 403);
  CHECK(ids(get("/admin/v1/exchanges?service=tributi.avviso", keys["ops"])) ==
        std::set<std::string>{b1, m1});
  auto dead = get("/admin/v1/exchanges?state=dead", keys["ops"]);
  REQUIRE(dead["exchanges"].Size() == 1);
  CHECK(str(dead["exchanges"][0]["id"]) == b2);
  CHECK(str(dead["exchanges"][0]["state"]) == "dead");
  CHECK(str(dead["exchanges"][0]["tenant"]) == "bari");
  CHECK_FALSE(dead["exchanges"][0].HasMember("payload"));
  CHECK(ids(get("/admin/v1/exchanges?since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00%2B01:00",
                keys["ops"])) == std::set<std::string>{b1, b2, m1});
  CHECK(ids(get("/admin/v1/exchanges?until=2000-01-01T00:00:00Z", keys["ops"])).empty());
  CHECK(get("/admin/v1/exchanges?limit=1", keys["ops"])["exchanges"].Size() == 1);
  auto bad_state = get("/admin/v1/exchanges?state=lost", keys["ops"], 400);
  CHECK(str(bad_state["detail"]).find("state") != std::string::npos);
  get("/admin/v1/exchanges?since=yesterday", keys["ops"], 400);
  get("/admin/v1/exchanges?limit=0", keys["ops"], 400);
  get("/admin/v1/exchanges?limit=5000", keys["ops"], 400);
  auto problem = call(http::verb::get, "/admin/v1/exchanges?limit=x", keys["ops"]);
  CHECK(problem[http::field::content_type] == "application/problem+json");
}

TEST_CASE_FIXTURE(
    AdminFixture,
    "admin views: an exchange's payload only with a reason, and the reading audited") {
  const auto id = queue("bari", "welfare.domanda", R"({"codice_fiscale":"RSSMRA80A01A662A"})");
  const auto other = queue("molfetta", "tributi.avviso");
  auto redacted = get("/admin/v1/exchanges/" + id, keys["bari-ops"]);
  CHECK(redacted["payload"].IsNull());
  CHECK(str(redacted["state"]) == "queued");
  CHECK(call(http::verb::get, "/admin/v1/exchanges/" + id, keys["bari-ops"])
            .body()
            .find("RSSMRA80A01A662A") == std::string::npos);
  auto no_reason = get("/admin/v1/exchanges/" + id + "?payload=true", keys["ops"], 400);
  CHECK(str(no_reason["detail"]).find("reason") != std::string::npos);
  get("/admin/v1/exchanges/" + id + "?payload=true&reason=", keys["ops"], 400);
  get("/admin/v1/exchanges/" + id + "?payload=maybe&reason=x", keys["ops"], 400);
  // Without an audit trail to record it, the payload is not shown.
  get("/admin/v1/exchanges/" + id + "?payload=true&reason=check", keys["ops"], 503);
  // Another tenant's exchange is unknown, payload or not.
  get("/admin/v1/exchanges/" + other, keys["bari-ops"], 404);
  get("/admin/v1/exchanges/" + other + "?payload=true&reason=x", keys["bari-ops"], 404);
  get("/admin/v1/exchanges/nope", keys["ops"], 404);

  core::AuditConfig settings;
  settings.path = config.root() / "var/audit.db";
  auto trail = core::AuditTrail::open(settings);
  REQUIRE(trail);
  bus->setAudit(trail->get());
  auto shown =
      get("/admin/v1/exchanges/" + id + "?payload=true&reason=citizen%20complaint%20n.%2042",
          keys["bari-ops"]);
  CHECK(str(shown["payload"]).find("RSSMRA80A01A662A") != std::string::npos);
  bus->setAudit(nullptr);
  (*trail)->flush();
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(settings.path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT exchange_id, tenant, client, service, detail FROM audit_records "
                     "WHERE service = 'admin.exchanges.payload'",
                     -1, &stmt, nullptr);
  std::vector<std::string> rows;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < 5; ++i)
      row += std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, i))) + "|";
    rows.push_back(row);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  CHECK(rows ==
        std::vector<std::string>{id + "|072006|bari-ops|admin.exchanges.payload|citizen complaint "
                                      "n. 42|"});
}

TEST_CASE_FIXTURE(AdminFixture, "admin views: a replayed dead letter's history says who and why") {
  const auto id = queue("bari", "welfare.domanda");
  deadLetter(id, "bari/refuses: HTTP 400");
  CHECK(call(http::verb::post, "/admin/v1/dead-letters/" + id + "/replay", keys["bari-ops"],
             R"({"reason":"vendor fixed the schema"})")
            .result_int() == 200);
  auto shown = get("/admin/v1/exchanges/" + id, keys["ops"]);
  CHECK(str(shown["state"]) == "queued");
  REQUIRE(shown["history"].Size() == 2);
  CHECK(str(shown["history"][0]["kind"]) == "attempt");
  CHECK(str(shown["history"][0]["outcome"]) == "dead");
  CHECK(str(shown["history"][1]["kind"]) == "replay");
  CHECK(str(shown["history"][1]["by"]) == "bari-ops");
  CHECK(str(shown["history"][1]["reason"]) == "vendor fixed the schema");
}

TEST_CASE_FIXTURE(AdminFixture, "admin views: batch files with progress, per scope") {
  for (auto [id, istat, source] :
       {std::tuple{"b-1", "072006", "bari/tari"}, std::tuple{"m-1", "072029", "molfetta/tari"}}) {
    core::BatchFile file;
    file.id = id;
    file.tenant_istat = istat;
    file.source = source;
    file.file_name = "tari.csv";
    file.content_hash = "h";
    REQUIRE(test::runCoroutine(journal->beginBatch(file)));
  }
  REQUIRE(test::runCoroutine(journal->updateBatch("b-1", 250, 3, 1000)));
  auto all = get("/admin/v1/batches", keys["ops"]);
  CHECK(all["batches"].Size() == 2);
  auto bari = get("/admin/v1/batches", keys["bari-ops"]);
  REQUIRE(bari["batches"].Size() == 1);
  const auto& b = bari["batches"][0];
  CHECK(str(b["id"]) == "b-1");
  CHECK(str(b["tenant"]) == "bari");
  CHECK(str(b["source"]) == "bari/tari");
  CHECK(str(b["file"]) == "tari.csv");
  CHECK(str(b["state"]) == "running");
  CHECK(b["rows_done"].GetInt64() == 250);
  CHECK(b["rows_total"].GetInt64() == 1000);
  CHECK(b["rows_failed"].GetInt64() == 3);
  CHECK(b.HasMember("rows_per_second"));
  CHECK(get("/admin/v1/batches?tenant=molfetta", keys["ops"])["batches"].Size() == 1);
  get("/admin/v1/batches?tenant=molfetta", keys["bari-ops"], 403);
}

TEST_CASE_FIXTURE(AdminFixture, "admin views: traffic per tenant in 10-second buckets") {
  CHECK(call(http::verb::get, "/api/v1/bari/tributi/posizioni", keys["portal"]).result_int() ==
        200);
  CHECK(call(http::verb::get, "/api/v1/bari/anagrafe/residenza", keys["portal"]).result_int() ==
        502);
  queue("molfetta", "tributi.avviso");
  auto sum = [](const rapidjson::Document& doc, const char* tenant, const char* field) {
    std::uint64_t total = 0;
    for (const auto& bucket : doc["buckets"].GetArray()) {
      if (!tenant) {
        total += bucket[field].GetUint64();
      } else if (bucket["tenants"].HasMember(tenant)) {
        total += bucket["tenants"][tenant][field].GetUint64();
      }
    }
    return total;
  };
  auto all = get("/admin/v1/stats", keys["ops"]);
  CHECK(all["bucket_seconds"].GetInt() == 10);
  CHECK(all["buckets"].Size() == core::TrafficStats::kBuckets);
  CHECK(sum(all, nullptr, "exchanges") == 3);
  CHECK(sum(all, nullptr, "failed") == 1);
  CHECK(sum(all, "bari", "exchanges") == 2);
  CHECK(sum(all, "molfetta", "exchanges") == 1);
  auto scoped = get("/admin/v1/stats", keys["bari-ops"]);
  CHECK(sum(scoped, nullptr, "exchanges") == 2);
  CHECK(sum(scoped, "molfetta", "exchanges") == 0);
  CHECK(sum(get("/admin/v1/stats?tenant=molfetta", keys["ops"]), nullptr, "exchanges") == 1);
  get("/admin/v1/stats?tenant=molfetta", keys["bari-ops"], 403);
}

TEST_CASE("traffic stats: buckets of 10 s in a ring of ten minutes") {
  core::TrafficStats stats;
  const std::int64_t t0 = 1'800'000'000'000;  // a bucket boundary
  stats.record("072006", {}, t0 + 1);
  stats.record("072006", core::makeError(core::ErrorKind::backend_unavailable, "x"), t0 + 9'999);
  stats.record("072006", core::makeError(core::ErrorKind::bad_request, "x"), t0 + 10'000);
  auto now = stats.snapshot(t0 + 10'500);
  REQUIRE(now.size() == core::TrafficStats::kBuckets);
  CHECK(now.back().start_ms == t0 + 10'000);
  CHECK(now.back().tenants.at("072006").exchanges == 1);
  CHECK(now.back().tenants.at("072006").refused == 1);
  const auto& previous = now[now.size() - 2];
  CHECK(previous.start_ms == t0);
  CHECK(previous.tenants.at("072006").exchanges == 2);
  CHECK(previous.tenants.at("072006").failed == 1);
  CHECK(now.front().tenants.empty());
  // Ten minutes later the slots are reused; the old counts are gone.
  stats.record("072029", {}, t0 + 600'000);
  auto later = stats.snapshot(t0 + 600'000);
  CHECK(later.back().tenants.count("072006") == 0);
  CHECK(later.back().tenants.at("072029").exchanges == 1);
  CHECK(later.front().start_ms == t0 + 10'000);  // the first bucket has left the window
  CHECK(later.front().tenants.at("072006").exchanges == 1);
  // A record older than the ring is dropped.
  stats.record("072006", {}, t0 + 1);
  stats.recordDelivery("072006", {}, t0 + 1);
  CHECK(stats.snapshot(t0 + 600'000).back().tenants.count("072006") == 0);
  // Deliveries of queued exchanges, and their failures.
  stats.recordDelivery("072029", {}, t0 + 600'001);
  stats.recordDelivery("072029", core::makeError(core::ErrorKind::backend_rejected, "x"),
                       t0 + 600'002);
  const auto delivered = stats.snapshot(t0 + 600'002).back().tenants.at("072029");
  CHECK(delivered.deliveries == 2);
  CHECK(delivered.delivery_failures == 1);
  CHECK(delivered.exchanges == 1);  // the one submitted before
}

TEST_CASE("endpoint guard: health over the recent calls") {
  core::Metrics metrics;
  core::EndpointGuard guard("bari/x", metrics);
  auto idle = guard.health();
  CHECK(idle.calls == 0);
  CHECK(idle.error_rate == 0);
  CHECK(idle.breaker == "closed");
  for (int i = 1; i <= 20; ++i) guard.recordCall(i % 4 == 0, i / 100.0);
  auto h = guard.health();
  CHECK(h.calls == 20);
  CHECK(h.errors == 5);
  CHECK(h.error_rate == doctest::Approx(0.25));
  CHECK(h.latency_mean_s == doctest::Approx(0.105));
  CHECK(h.latency_p95_s == doctest::Approx(0.19));
  CHECK(guard.health(std::chrono::seconds(-1)).calls == 0);  // nothing that recent
}

TEST_CASE("admin support: RFC 3339 times") {
  using core::admin::parseIsoTime;
  CHECK(parseIsoTime("1970-01-01T00:00:00Z") == 0);
  CHECK(parseIsoTime("2026-11-26T07:40:09Z") == 1'795'678'809'000);
  CHECK(parseIsoTime("2026-11-26T08:40:09.250+01:00") == 1'795'678'809'250);
  CHECK(core::admin::isoTime(1'795'678'809'000) == "2026-11-26T07:40:09Z");
  for (const char* bad :
       {"", "2026-11-26", "2026-11-26T07:40:09", "2026-13-01T00:00:00Z", "2026-11-26T07:40:09+0100",
        "x026-11-26T07:40:09Z", "2026-11-26T07:40:09Zjunk"}) {
    CHECK_MESSAGE(!parseIsoTime(bad), bad);
  }
}

TEST_CASE_FIXTURE(AdminFixture,
                  "console: served from the binary, with a strict CSP, no key needed") {
  auto page = call(http::verb::get, "/console", "");
  CHECK(page.result_int() == 200);
  CHECK(page[http::field::content_type] == "text/html; charset=utf-8");
  const std::string csp(page["Content-Security-Policy"]);
  CHECK(csp.find("default-src 'none'") != std::string::npos);
  CHECK(csp.find("script-src 'self'") != std::string::npos);
  CHECK(csp.find("connect-src 'self'") != std::string::npos);
  CHECK(page.body().find("/console/app.js") != std::string::npos);
  CHECK(call(http::verb::get, "/console/", "").body() == page.body());
  auto script = call(http::verb::get, "/console/app.js", "");
  CHECK(script.result_int() == 200);
  CHECK(script[http::field::content_type] == "text/javascript; charset=utf-8");
  CHECK(script.body().find("/admin/v1") != std::string::npos);
  CHECK(call(http::verb::get, "/console/console.css", "")[http::field::content_type] ==
        "text/css; charset=utf-8");
  auto head = call(http::verb::head, "/console/app.js", "");
  CHECK(head.result_int() == 200);
  CHECK(head.body().empty());
  CHECK(head[http::field::content_length] == std::to_string(script.body().size()));
  auto missing = call(http::verb::get, "/console/../keys.db", "");
  CHECK(missing.result_int() == 404);
  CHECK(missing[http::field::content_type] == "application/problem+json");
  CHECK(call(http::verb::post, "/console", "", "{}").result_int() == 405);
  CHECK(call(http::verb::get, "/consoles", "").result_int() == 404);  // not the console
  // Nothing is loaded from elsewhere: no absolute URL in any file.
  for (const auto& asset : core::consoleAssets()) {
    const std::string text(asset.bytes);
    CHECK_MESSAGE(text.find("http://") == std::string::npos, asset.name);
    CHECK_MESSAGE(text.find("https://") == std::string::npos, asset.name);
    CHECK_MESSAGE(text.find("innerHTML") == std::string::npos, asset.name);
  }
}
