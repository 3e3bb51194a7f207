// Tenant isolation and the admin API. The matrix test builds every cell of clients x
// tenants x entry points (REST services, exchange status, SOAP inbound, the pagoPA creditor
// interface, the admin API) and checks each against a model of the clients' scopes written
// here.
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <map>
#include <set>

#include "core/engine/generation.hpp"
#include "core/journal/sqlite_journal.hpp"
#include "core/log/log.hpp"
#include "core/net/api.hpp"
#include "core/security/audit_trail.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;
using egov::test::TempConfig;

namespace {

std::vector<std::string> g_log;
void captureLog(std::string_view line) {
  g_log.emplace_back(line);
}

const char* kProfile =
    "routes:\n"
    "  - service: tributi.posizioni\n    steps: [ { call: echo } ]\n"
    "  - service: anagrafe.certificato\n    steps: [ { call: echo } ]\n"
    "  - service: tributi.avviso\n    mode: one-way\n    steps: [ { call: echo } ]\n"
    "  - service: anagrafe.domanda\n    mode: one-way\n    steps: [ { call: echo } ]\n"
    "  - service: pagopa.verify\n    steps: [ { call: echo } ]\n"
    "  - service: pagopa.activate\n    steps: [ { call: echo } ]\n"
    "  - service: pagopa.receipt\n    mode: one-way\n    steps: [ { call: echo } ]\n";

struct TenantInfo {
  std::string istat, slug, fiscal_code;
};
const std::vector<TenantInfo> kTenants = {{"072006", "bari", "80015010723"},
                                          {"072029", "molfetta", "00306180720"},
                                          {"072011", "bitonto", "00382520724"}};

// A SOAP envelope (1.1) with `payload` in the Body.
std::string envelope(const std::string& payload) {
  return "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>" + payload +
         "</s:Body></s:Envelope>";
}

// The text between `open` and `close` in `text`, or "".
std::string between(const std::string& text, const std::string& open, const std::string& close) {
  const auto from = text.find(open);
  if (from == std::string::npos) return {};
  const auto to = text.find(close, from + open.size());
  return to == std::string::npos ? std::string()
                                 : text.substr(from + open.size(), to - from - open.size());
}

struct IsolationFixture {
  TempConfig config;
  std::unique_ptr<core::Bus> bus;
  std::unique_ptr<core::SqliteJournal> journal;
  std::unique_ptr<core::ApiHandler> api;
  std::map<std::string, std::string> keys;  // by client name

  IsolationFixture() {
    config.write("conf/bus.yaml",
                 "listen: 127.0.0.1:0\n"
                 "clients:\n"
                 "  molfetta-app: { tenants: [molfetta], services: [\"tributi.*\"] }\n"
                 "inbound:\n"
                 "  soap:\n"
                 "    type: soap\n"
                 "    path: \"/soap/{tenant}/tributi\"\n"
                 "    operations: { \"{urn:comune:tributi}Posizioni\": tributi.posizioni }\n"
                 "  pagopa: { type: pagopa, path: /pagopa/paForNode, id_broker_pa: "
                 "\"80000190729\", id_station: \"80000190729_01\" }\n");
    config.copy("schemas/pagopa/paForNode.xsd").copy("schemas/pagopa/canonical.xsd");
    config.write("conf/profiles/p.yaml", kProfile);
    for (const auto& tenant : kTenants) {
      config.write("conf/tenants/" + tenant.slug + ".yaml",
                   "tenant: { istat: \"" + tenant.istat + "\", slug: " + tenant.slug +
                       ", name: X, fiscal_code: \"" + tenant.fiscal_code +
                       "\" }\nprofile: p\nendpoints: { echo: { type: memory } }\npagopa: {}\n");
    }
    keys["portal"] = config.apiKey("portal", {"*"}, {"*"});
    keys["bari-only"] = config.apiKey("bari-only", {"bari"}, {"*"});
    keys["molfetta-app"] = config.apiKey("molfetta-app", {}, {});
    keys["ops"] = config.apiKey("ops", {"*"}, {"*"}, core::KeyKind::admin);
    keys["bari-ops"] = config.apiKey("bari-ops", {"072006"}, {"*"}, core::KeyKind::admin);
    auto revoked = config.apiKey("gone", {"*"}, {"*"});
    keys["revoked"] = revoked;
    auto store = core::KeyStore::open(config.root() / "var/keys.db");
    REQUIRE(store);
    REQUIRE(*(*store)->revoke(core::parseKeyText(revoked)->id));
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
  ~IsolationFixture() { bus->setJournal(nullptr); }

  HttpResponse call(http::verb verb, const std::string& target, const std::string& key,
                    const std::string& body = {},
                    const std::string& content_type = "application/json") {
    HttpRequest request{verb, target, 11};
    if (!key.empty()) request.set(http::field::authorization, "Bearer " + key);
    if (!body.empty()) {
      request.set(http::field::content_type, content_type);
      request.body() = body;
    }
    request.prepare_payload();
    return test::runCoroutine(api->handle(std::move(request)));
  }
};

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  return doc;
}

}  // namespace

TEST_CASE_FIXTURE(IsolationFixture,
                  "isolation: every client x tenant x entry point answers per the client's scope") {
  // One-way exchanges of two services in every tenant, for the status lookups.
  std::map<std::string, std::map<std::string, std::string>> exchange_ids;  // service -> slug -> id
  for (const auto& tenant : kTenants) {
    for (const std::string service : {"tributi/avviso", "anagrafe/domanda"}) {
      auto accepted = call(http::verb::post, "/api/v1/" + tenant.slug + "/" + service,
                           keys["portal"], R"({"codice_fiscale":"RSSMRA80A01A662A"})");
      REQUIRE(accepted.result_int() == 202);
      exchange_ids[service][tenant.slug] = parse(accepted.body())["id"].GetString();
    }
  }

  struct Client {
    std::string name;
    std::string key;  // sent as Bearer; empty: no Authorization header
    enum Kind { anonymous, invalid, client, admin } kind;
    std::set<std::string> tenants;  // slugs, or "*"
    std::vector<std::string> services;
  };
  const std::vector<Client> clients = {
      {"nobody", "", Client::anonymous, {}, {}},
      {"bogus", "egk_0123456789ab_" + std::string(64, 'f'), Client::invalid, {}, {}},
      {"revoked", keys["revoked"], Client::invalid, {}, {}},
      {"portal", keys["portal"], Client::client, {"*"}, {"*"}},
      {"bari-only", keys["bari-only"], Client::client, {"bari"}, {"*"}},
      {"molfetta-app", keys["molfetta-app"], Client::client, {"molfetta"}, {"tributi.*"}},
      {"ops", keys["ops"], Client::admin, {"*"}, {"*"}},
      {"bari-ops", keys["bari-ops"], Client::admin, {"bari"}, {"*"}},
  };
  // Columns: tenants by slug or ISTAT code, and two that do not exist.
  struct Column {
    std::string key;          // as sent in the path
    std::string slug;         // empty: no such tenant
    std::string fiscal_code;  // its idPA for the pagoPA node
  };
  const std::vector<Column> columns = {{"bari", "bari", "80015010723"},
                                       {"072029", "molfetta", "00306180720"},
                                       {"bitonto", "bitonto", "00382520724"},
                                       {"roma", "", "02438750586"},
                                       {"000000", "", "00000000000"}};
  enum class Wire { rest, soap };
  struct EntryPoint {
    std::string name;
    http::verb verb;
    std::function<std::string(const Column&)> target;
    std::string service;  // empty: admin
    bool status_lookup = false;
    Wire wire = Wire::rest;
    std::function<std::string(const Column&)> body = nullptr;  // none when null
  };
  auto idOf = [&](const std::string& service, const Column& column) {
    return exchange_ids[service][column.slug.empty() ? "bari" : column.slug];
  };
  const std::vector<EntryPoint> entry_points = {
      {"rest tributi", http::verb::get,
       [](const Column& c) {
         return "/api/v1/" + c.key + "/tributi/posizioni?codice_fiscale=RSSMRA80A01A662A";
       },
       "tributi.posizioni"},
      {"rest anagrafe", http::verb::get,
       [](const Column& c) { return "/api/v1/" + c.key + "/anagrafe/certificato"; },
       "anagrafe.certificato"},
      {"status tributi", http::verb::get,
       [&](const Column& c) {
         return "/api/v1/" + c.key + "/exchanges/" + idOf("tributi/avviso", c);
       },
       "tributi.avviso", true},
      {"status anagrafe", http::verb::get,
       [&](const Column& c) {
         return "/api/v1/" + c.key + "/exchanges/" + idOf("anagrafe/domanda", c);
       },
       "anagrafe.domanda", true},
      {"soap inbound", http::verb::post,
       [](const Column& c) { return "/soap/" + c.key + "/tributi"; }, "tributi.posizioni", false,
       Wire::soap,
       [](const Column&) {
         return envelope(
             "<t:Posizioni xmlns:t=\"urn:comune:tributi\"><codiceFiscale>RSSMRA80A01A662A"
             "</codiceFiscale></t:Posizioni>");
       }},
      {"pagopa node", http::verb::post, [](const Column&) { return "/pagopa/paForNode"; },
       "pagopa.verify", false, Wire::soap,
       [](const Column& c) {
         return envelope(
             "<p:paVerifyPaymentNoticeReq xmlns:p=\"http://pagopa-api.pagopa.gov.it/pa/"
             "paForNode.xsd\"><idPA>" +
             c.fiscal_code +
             "</idPA><idBrokerPA>80000190729</idBrokerPA><idStation>80000190729_01</idStation>"
             "<qrCode><fiscalCode>" +
             c.fiscal_code +
             "</fiscalCode><noticeNumber>302000000000000184</noticeNumber></qrCode>"
             "</p:paVerifyPaymentNoticeReq>");
       }},
      {"admin dead letters", http::verb::get,
       [](const Column& c) { return "/admin/v1/dead-letters?tenant=" + c.key; }, ""},
  };
  auto expected = [](const Client& client, const Column& column, const EntryPoint& entry) {
    if (client.kind == Client::anonymous || client.kind == Client::invalid) return 401;
    const bool admin_entry = entry.service.empty();
    if (admin_entry != (client.kind == Client::admin)) return 403;
    const bool tenant_ok = !column.slug.empty() &&
                           (client.tenants.contains("*") || client.tenants.contains(column.slug));
    // The node's protocol has its own answer for a creditor the broker does not serve
    // (PAA_ID_DOMINIO_ERRATO); only a client scoped to every tenant may get it.
    if (entry.name == "pagopa node" && column.slug.empty() && client.tenants.contains("*"))
      return 200;
    if (!tenant_ok) return 403;
    if (admin_entry) return 200;
    bool service_ok = false;
    for (const auto& pattern : client.services) {
      service_ok = service_ok || core::servicePatternMatches(pattern, entry.service);
    }
    if (service_ok) return 200;
    return entry.status_lookup ? 404 : 403;
  };

  g_log.clear();
  core::setLogSink(captureLog);
  int cells = 0;
  // A client's refusals for tenants out of its scope, per entry point: the same whether the
  // tenant exists or not.
  std::map<std::pair<std::string, std::string>, std::set<std::string>> details;
  for (const auto& client : clients) {
    for (const auto& column : columns) {
      for (const auto& entry : entry_points) {
        const auto target = entry.target(column);
        CAPTURE(client.name);
        CAPTURE(target);
        const bool soap = entry.wire == Wire::soap;
        auto response = call(entry.verb, target, client.key, entry.body ? entry.body(column) : "",
                             soap ? "text/xml; charset=utf-8" : "application/json");
        const int want = expected(client, column, entry);
        CHECK(response.result_int() == want);
        const bool tenant_in_scope = !column.slug.empty() && (client.tenants.contains("*") ||
                                                              client.tenants.contains(column.slug));
        if (want == 401 || want == 403) {
          // Refusals in the caller's protocol: problem+json, or a SOAP Client fault.
          std::string detail;
          if (soap) {
            CHECK(response[http::field::content_type] == "text/xml; charset=utf-8");
            CHECK(between(response.body(), "<faultcode>", "</faultcode>").ends_with(":Client"));
            detail = between(response.body(), "<faultstring>", "</faultstring>");
          } else {
            CHECK(response[http::field::content_type] == "application/problem+json");
            auto problem = parse(response.body());
            REQUIRE(problem.IsObject());
            detail = problem["detail"].GetString();
          }
          CHECK(!detail.empty());
          if (!tenant_in_scope) {
            details[{client.name, entry.name}].insert(std::to_string(want) + " " + detail);
          }
          if (want == 401) CHECK(response[http::field::www_authenticate] == "Bearer");
        }
        if (want == 200 && entry.name == "soap inbound") {
          // The route's reply (the memory endpoint echoes the Body's payload) in an envelope.
          CHECK(response.body().find("<codiceFiscale>RSSMRA80A01A662A</codiceFiscale>") !=
                std::string::npos);
        }
        if (want == 200 && entry.name == "pagopa node") {
          // The operation's response (KO: the echo is no verify response, or the idPA is
          // unknown), never a refusal.
          CHECK(response.body().find("paVerifyPaymentNoticeRes") != std::string::npos);
        }
        ++cells;
      }
    }
  }
  core::setLogSink(nullptr);
  CHECK(cells == 8 * 5 * 7);
  for (const auto& [where, texts] : details) {
    CAPTURE(where.first);
    CAPTURE(where.second);
    CHECK(texts.size() ==
          1);  // nothing in a refusal tells a tenant that exists from one that does not
  }
  // Refusals are logged, with the client when known; no key and no whole fiscal code is.
  int refusals = 0;
  for (const auto& line : g_log) {
    refusals += line.find("\"status\":403") != std::string::npos ||
                line.find("\"status\":401") != std::string::npos;
    for (const auto& [name, key] : keys) {
      CHECK(line.find(key.substr(17)) == std::string::npos);
    }
    CHECK(line.find("RSSMRA80A01A662A") == std::string::npos);
  }
  CHECK(refusals >= 100);
}

TEST_CASE_FIXTURE(IsolationFixture, "admin api: dead letters, reload, generation") {
  auto accepted = call(http::verb::post, "/api/v1/bari/tributi/avviso", keys["portal"],
                       R"({"codice_fiscale":"RSSMRA80A01A662A"})");
  REQUIRE(accepted.result_int() == 202);
  const std::string bari_id = parse(accepted.body())["id"].GetString();
  accepted = call(http::verb::post, "/api/v1/molfetta/tributi/avviso", keys["portal"], "{}");
  const std::string molfetta_id = parse(accepted.body())["id"].GetString();
  auto claimed = test::runCoroutine(journal->claimDue(10, std::chrono::seconds(60)));
  REQUIRE(claimed.ok());
  REQUIRE(claimed->size() == 2);
  for (const auto& entry : *claimed) {
    REQUIRE(*test::runCoroutine(journal->deadLetter(entry.id, entry.lease_token, 3,
                                                    "gave up for RSSMRA80A01A662A")) ==
            core::Settled::applied);
  }

  auto list = call(http::verb::get, "/admin/v1/dead-letters", keys["ops"]);
  CHECK(list.result_int() == 200);
  CHECK(parse(list.body())["dead_letters"].Size() == 2);
  // A tenant-scoped admin sees its tenant's only, and others' as unknown.
  auto bari_list = call(http::verb::get, "/admin/v1/dead-letters", keys["bari-ops"]);
  REQUIRE(parse(bari_list.body())["dead_letters"].Size() == 1);
  CHECK(parse(bari_list.body())["dead_letters"][0]["id"].GetString() == bari_id);
  CHECK(call(http::verb::get, "/admin/v1/dead-letters/" + molfetta_id, keys["bari-ops"])
            .result_int() == 404);
  auto show = call(http::verb::get, "/admin/v1/dead-letters/" + bari_id, keys["bari-ops"]);
  CHECK(show.result_int() == 200);
  CHECK(show.body().find("RSSMRA80A01A662A") == std::string::npos);  // body and error masked
  CHECK(show.body().find("RSS************A") != std::string::npos);

  // Replay needs a reason; who and why are recorded.
  CHECK(call(http::verb::post, "/admin/v1/dead-letters/" + bari_id + "/replay", keys["ops"])
            .result_int() == 400);
  CHECK(call(http::verb::get, "/admin/v1/dead-letters/" + bari_id + "/replay", keys["ops"])
            .result_int() == 405);
  CHECK(call(http::verb::post, "/admin/v1/dead-letters/" + molfetta_id + "/replay",
             keys["bari-ops"], R"({"reason":"x"})")
            .result_int() == 404);
  auto replay = call(http::verb::post, "/admin/v1/dead-letters/" + bari_id + "/replay",
                     keys["bari-ops"], R"({"reason":"back-end fixed"})");
  CHECK(replay.result_int() == 200);
  CHECK(parse(replay.body())["state"].GetString() == std::string("queued"));
  auto discard = call(http::verb::post, "/admin/v1/dead-letters/" + molfetta_id + "/discard",
                      keys["ops"], R"({"reason":"duplicate request"})");
  CHECK(discard.result_int() == 200);
  CHECK(call(http::verb::post, "/admin/v1/dead-letters/" + molfetta_id + "/discard", keys["ops"],
             R"({"reason":"again"})")
            .result_int() == 404);
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(bus->generation()->bus.journal.path.c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "SELECT action, who, why FROM dead_letter_actions ORDER BY at_ms", -1,
                       &stmt, nullptr);
    std::vector<std::string> rows;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      rows.push_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))) +
                     "/" + reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)) + "/" +
                     reinterpret_cast<const char*>(sqlite3_column_text(stmt, 2)));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    CHECK(rows == std::vector<std::string>{"replay/bari-ops/back-end fixed",
                                           "discard/ops/duplicate request"});
  }

  // Generation and reload: process-wide, so only for an admin of every tenant.
  auto generation = call(http::verb::get, "/admin/v1/generation", keys["ops"]);
  CHECK(generation.result_int() == 200);
  CHECK(parse(generation.body())["generation"].GetUint64() == 1);
  CHECK(parse(generation.body())["tenants"].GetUint64() == 3);
  CHECK(call(http::verb::get, "/admin/v1/generation", keys["bari-ops"]).result_int() == 403);
  CHECK(call(http::verb::post, "/admin/v1/reload", keys["bari-ops"]).result_int() == 403);
  CHECK(call(http::verb::post, "/admin/v1/reload", keys["portal"]).result_int() == 403);
  CHECK(call(http::verb::post, "/admin/v1/reload", "").result_int() == 401);
  // A new key is picked up by a reload.
  const auto late = config.apiKey("late", {"bari"}, {"*"});
  CHECK(call(http::verb::get, "/api/v1/bari/tributi/posizioni", late).result_int() == 401);
  auto reloaded = call(http::verb::post, "/admin/v1/reload", keys["ops"]);
  CHECK(reloaded.result_int() == 200);
  CHECK(parse(reloaded.body())["generation"].GetUint64() == 2);
  CHECK(call(http::verb::get, "/api/v1/bari/tributi/posizioni", late).result_int() == 200);
  // A broken config is refused with its errors; the previous generation keeps serving.
  config.write("conf/tenants/broken.yaml", "tenant: { istat: \"1\", slug: Broken, name: X }\n");
  auto refused = call(http::verb::post, "/admin/v1/reload", keys["ops"]);
  CHECK(refused.result_int() == 422);
  auto problem = parse(refused.body());
  REQUIRE(problem["errors"].IsArray());
  CHECK(std::string(problem["errors"][0].GetString()).find("broken.yaml") != std::string::npos);
  CHECK(bus->generation()->number == 2);
  CHECK(call(http::verb::get, "/admin/v1/nothing", keys["ops"]).result_int() == 404);
}

TEST_CASE_FIXTURE(IsolationFixture, "audit: exchanges with a citizen are recorded, pseudonymised") {
  core::AuditConfig settings;
  settings.path = config.root() / "var/audit.db";
  settings.services = {"anagrafe.certificato"};
  auto trail = core::AuditTrail::open(settings);
  REQUIRE(trail);
  bus->setAudit(trail->get());
  CHECK(call(http::verb::get, "/api/v1/bari/tributi/posizioni?codice_fiscale=RSSMRA80A01A662A",
             keys["portal"])
            .result_int() == 200);
  CHECK(call(http::verb::get, "/api/v1/bari/tributi/posizioni", keys["portal"]).result_int() ==
        200);
  CHECK(
      call(http::verb::get, "/api/v1/bari/anagrafe/certificato", keys["bari-only"]).result_int() ==
      200);
  auto queued = call(http::verb::post, "/api/v1/molfetta/tributi/avviso", keys["molfetta-app"],
                     R"({"codice_fiscale":"VRDLCU75M41F284L"})");
  CHECK(queued.result_int() == 202);
  bus->setAudit(nullptr);
  (*trail)->flush();
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(settings.path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT tenant, client, service, citizen, outcome, exchange_id FROM "
                     "audit_records ORDER BY seq",
                     -1, &stmt, nullptr);
  std::vector<std::vector<std::string>> rows;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < 6; ++i)
      row.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, i)));
    rows.push_back(row);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  // The call without a fiscal code of a service not listed is not audited.
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] == std::vector<std::string>{"072006", "portal", "tributi.posizioni",
                                            (*trail)->pseudonymise("RSSMRA80A01A662A"), "ok",
                                            rows[0][5]});
  CHECK(rows[0][5].size() == 36);
  CHECK(rows[1] == std::vector<std::string>{"072006", "bari-only", "anagrafe.certificato", "", "ok",
                                            rows[1][5]});
  CHECK(rows[2] == std::vector<std::string>{"072029", "molfetta-app", "tributi.avviso",
                                            (*trail)->pseudonymise("VRDLCU75M41F284L"), "queued",
                                            parse(queued.body())["id"].GetString()});
  auto verified = core::verifyAuditTrail(settings.path);
  REQUIRE(verified);
  CHECK(verified->ok);
}
