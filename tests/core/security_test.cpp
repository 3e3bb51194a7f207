// Security building blocks: scopes, the key store, the authenticator and its cache, and the
// audit trail's hash chain.
#include <doctest/doctest.h>

#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "core/journal/journal.hpp"
#include "core/log/log.hpp"
#include "core/security/audit_trail.hpp"
#include "core/security/authenticator.hpp"
#include "core/security/crypto.hpp"
#include "core/security/key_store.hpp"
#include "tests/support/failing_commits.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"

using namespace egov;
using egov::test::TempConfig;

namespace {

std::string fileBytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void writeTenants(TempConfig& config) {
  config.write("conf/profiles/p.yaml",
               "routes:\n  - service: tributi.posizioni\n    steps: [ { call: echo } ]\n");
  for (auto [istat, slug] : {std::pair{"072006", "bari"}, std::pair{"072029", "molfetta"}}) {
    config.write(std::string("conf/tenants/") + slug + ".yaml",
                 std::string("tenant: { istat: \"") + istat + "\", slug: " + slug +
                     ", name: X }\nprofile: p\nendpoints: { echo: { type: memory } }\n");
  }
}

HttpRequest withBearer(const std::string& value) {
  HttpRequest request{http::verb::get, "/", 11};
  if (!value.empty()) request.set(http::field::authorization, value);
  return request;
}

}  // namespace

TEST_CASE("scope: tenants by ISTAT code, slug or *; services exact, prefix.* or *") {
  core::Scope scope{{"bari", "072029"}, {"tributi.*", "anagrafe.certificato"}};
  CHECK(scope.allowsTenant("072006", "bari"));
  CHECK(scope.allowsTenant("072029", "molfetta"));
  CHECK_FALSE(scope.allowsTenant("072011", "bitonto"));
  CHECK(scope.allowsService("tributi.posizioni"));
  CHECK(scope.allowsService("tributi.a.b"));
  CHECK_FALSE(scope.allowsService("tributi"));
  CHECK_FALSE(scope.allowsService("tributixyz.a"));
  CHECK(scope.allowsService("anagrafe.certificato"));
  CHECK_FALSE(scope.allowsService("anagrafe.residenza"));
  CHECK_FALSE(core::Scope{}.allowsTenant("072006", "bari"));
  CHECK(core::Scope{{"*"}, {"*"}}.allTenants());
  for (const char* ok : {"*", "tributi.*", "a.b", "a-b.c_d.*"}) CHECK(core::isServicePattern(ok));
  for (const char* bad : {"", ".", "a.", "*.a", "a.*.b", "A.b", "a b", "a.**"}) {
    CAPTURE(bad);
    CHECK_FALSE(core::isServicePattern(bad));
  }
}

TEST_CASE("key store: the key is shown once and only its salted PBKDF2 is stored") {
  TempConfig config;
  const auto file = config.root() / "var/keys.db";
  auto store = core::KeyStore::open(file);
  REQUIRE(store);
  auto created = (*store)->create("portal", core::KeyKind::client, {{"bari"}, {"tributi.*"}});
  REQUIRE(created);
  const auto& key = created->key;
  auto reference = core::parseKeyText(key);
  REQUIRE(reference);
  CHECK(reference->id == created->record.id);
  CHECK(reference->kind == core::KeyKind::client);
  CHECK(created->record.iterations == core::KeyStore::kDefaultIterations);
  CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::others_read) ==
        std::filesystem::perms::none);
  // Neither the key nor its secret part is anywhere in the file.
  const auto bytes = fileBytes(file) + fileBytes(file.string() + "-wal");
  CHECK(bytes.find(key.substr(17)) == std::string::npos);
  CHECK(bytes.find(core::fromHex(key.substr(17))) == std::string::npos);

  auto active = core::KeyStore::readActive(file);
  REQUIRE(active);
  REQUIRE(active->size() == 1);
  const auto& stored = active->front();
  CHECK(stored.client == "portal");
  CHECK(stored.scope.tenants == std::vector<std::string>{"bari"});
  CHECK(core::keyMatches(key, stored));
  auto wrong = key;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  CHECK_FALSE(core::keyMatches(wrong, stored));
  // Two keys of the same client get different salts.
  auto second = (*store)->create("portal", core::KeyKind::admin, {{"*"}, {"*"}});
  REQUIRE(second);
  CHECK(second->key.starts_with("ega_"));
  CHECK(second->record.salt != created->record.salt);

  CHECK(*(*store)->revoke(stored.id));
  CHECK_FALSE(*(*store)->revoke(stored.id));
  active = core::KeyStore::readActive(file);
  REQUIRE(active);
  CHECK(active->size() == 1);  // only the admin key is left
  CHECK(core::KeyStore::readActive(config.root() / "no/such.db")->empty());

  for (const char* bad : {"", "egk_", "Bearer x", "egk_zzzzzzzzzzzz_00", "xyz_0123456789ab_"}) {
    CHECK_FALSE(core::parseKeyText(bad));
  }
}

TEST_CASE("authenticator: keys, wrong keys, revoked keys (even cached), certificates") {
  TempConfig config;
  writeTenants(config);
  config.write("conf/bus.yaml",
               "listen: 127.0.0.1:0\n"
               "clients:\n"
               "  molfetta-app: { tenants: [molfetta], services: [\"tributi.*\"],\n"
               "                  certificates: [ { subject: \"CN=molfetta-app,O=Comune di "
               "Molfetta\" } ] }\n");
  const auto portal = config.apiKey("portal", {"bari"}, {"*"});
  const auto declared = config.apiKey("molfetta-app", {}, {});
  const auto admin = config.apiKey("ops", {"*"}, {"*"}, core::KeyKind::admin);
  auto generation = config.load();
  REQUIRE_MESSAGE(generation, config.errorText());
  core::Authenticator authenticator(config.runtime().workers());
  auto authenticate = [&](const std::string& header, const core::PeerCertificate* peer = nullptr) {
    auto request = withBearer(header);
    return test::runCoroutine(authenticator.authenticate(request, peer, *generation->credentials));
  };

  auto ok = authenticate("Bearer " + portal);
  REQUIRE(ok);
  CHECK(ok->name == "portal");
  CHECK(ok->allows("072006", "bari", "anything.at.all"));
  CHECK_FALSE(ok->allowsTenant("072029", "molfetta"));
  CHECK(authenticate("bearer  " + portal + " ").ok());  // scheme case, blanks

  auto by_config = authenticate("Bearer " + declared);
  REQUIRE(by_config);
  CHECK(by_config->allows("072029", "molfetta", "tributi.posizioni"));
  CHECK_FALSE(by_config->allows("072029", "molfetta", "anagrafe.certificato"));
  CHECK_FALSE(by_config->allowsTenant("072006", "bari"));

  auto as_admin = authenticate("Bearer " + admin);
  REQUIRE(as_admin);
  CHECK(as_admin->kind == core::KeyKind::admin);

  auto wrong_secret = portal;
  wrong_secret[20] = wrong_secret[20] == 'a' ? 'b' : 'a';
  auto admin_as_client = "egk_" + admin.substr(4);  // right id, wrong kind
  for (const std::string& header : std::vector<std::string>{
           std::string(), "Bearer", "Basic dXNlcjpwYXNz", "Bearer " + wrong_secret,
           "Bearer egk_0123456789ab_" + std::string(64, '0'), "Bearer " + admin_as_client,
           "Bearer " + portal + "x"}) {
    CAPTURE(header);
    auto refused = authenticate(header);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == core::ErrorKind::unauthorized);
    CHECK(refused.error().message == core::kUnauthorizedDetail);  // one answer for every cause
  }
  HttpRequest twice{http::verb::get, "/", 11};
  twice.insert(http::field::authorization, "Bearer " + portal);
  twice.insert(http::field::authorization, "Bearer " + admin);
  CHECK_FALSE(
      test::runCoroutine(authenticator.authenticate(twice, nullptr, *generation->credentials)));

  // Certificates: mapped by subject; an unmapped one is refused.
  core::PeerCertificate mapped{"CN=molfetta-app,O=Comune di Molfetta", std::string(64, 'a')};
  auto by_certificate = authenticate("", &mapped);
  REQUIRE(by_certificate);
  CHECK(by_certificate->name == "molfetta-app");
  CHECK(by_certificate->method == "certificate");
  core::PeerCertificate stranger{"CN=someone", std::string(64, 'b')};
  CHECK_FALSE(authenticate("", &stranger));

  // Revoked: the next generation no longer has the key, although it is in the cache.
  auto store = core::KeyStore::open(config.root() / "var/keys.db");
  REQUIRE(store);
  REQUIRE(*(*store)->revoke(ok->key_id));
  auto next = config.load();
  REQUIRE(next);
  auto request = withBearer("Bearer " + portal);
  auto after = test::runCoroutine(authenticator.authenticate(request, nullptr, *next->credentials));
  REQUIRE_FALSE(after);
  CHECK(after.error().kind == core::ErrorKind::unauthorized);
}

TEST_CASE("clients config: errors name file, line and key") {
  TempConfig config;
  writeTenants(config);
  config.write(
      "conf/bus.yaml",
      "listen: 127.0.0.1:0\n"
      "clients:\n"
      "  a: { tenants: [roma], services: [\"*\"] }\n"
      "  b: { tenants: [bari], services: [\"Tributi\"] }\n"
      "  c: { services: [\"*\"], colour: red }\n"
      "  d: { tenants: [\"*\"], services: [\"*\"], certificates: [ { fingerprint: \"12:34\" } ] }\n"
      "  e: { tenants: [\"*\"], services: [\"*\"], certificates: [ { subject: x, fingerprint: y } "
      "] }\n");
  CHECK_FALSE(config.load());
  const auto text = config.errorText();
  CAPTURE(text);
  CHECK(text.find("conf/bus.yaml:3:") != std::string::npos);
  CHECK(text.find("clients.a.tenants: unknown tenant roma") != std::string::npos);
  CHECK(text.find("clients.b.services: \"Tributi\" is not a service name") != std::string::npos);
  CHECK(text.find("clients.c.colour: unknown key") != std::string::npos);
  CHECK(text.find("clients.c.tenants: missing key") != std::string::npos);
  CHECK(text.find("clients.d.certificates[0].fingerprint: expected the SHA-256") !=
        std::string::npos);
  CHECK(text.find("give exactly one of subject or fingerprint") != std::string::npos);
}

TEST_CASE("audit trail: hash chain, pseudonyms, retention with an anchor, tampering found") {
  TempConfig config;
  core::AuditConfig settings;
  settings.path = config.root() / "var/audit.db";
  settings.retention = std::chrono::hours(24);
  settings.services = {"anagrafe.*"};
  auto opened = core::AuditTrail::open(settings);
  REQUIRE(opened);
  auto& trail = **opened;
  CHECK(trail.auditsService("anagrafe.certificato"));
  CHECK_FALSE(trail.auditsService("tributi.posizioni"));
  const auto pseudonym = trail.pseudonymise("RSSMRA80A01A662A");
  CHECK(pseudonym.size() == 64);
  CHECK(pseudonym == trail.pseudonymise("rssmra80a01a662a"));
  CHECK(pseudonym != trail.pseudonymise("VRDLCU75M41F284L"));
  CHECK(std::filesystem::exists(settings.path.string() + ".key"));

  const auto day = std::int64_t{24} * 3600 * 1000;
  const auto now = core::nowMs();
  for (int i = 0; i < 6; ++i) {
    core::AuditRecord record;
    record.at_ms = now - (i < 3 ? 3 * day : 0) + i;  // three old, three recent
    record.exchange_id = "x-" + std::to_string(i);
    record.tenant = "072006";
    record.client = "portal";
    record.service = "tributi.posizioni";
    record.citizen = pseudonym;
    record.outcome = "ok";
    trail.record(record);
  }
  trail.flush();
  auto verified = core::verifyAuditTrail(settings.path);
  REQUIRE(verified);
  CHECK(verified->ok);
  CHECK(verified->records == 6);
  // The plain fiscal code is nowhere in the trail.
  CHECK(fileBytes(settings.path).find("RSSMRA80A01A662A") == std::string::npos);
  CHECK(fileBytes(settings.path.string() + "-wal").find("RSSMRA80A01A662A") == std::string::npos);

  auto removed = trail.applyRetention(now);
  REQUIRE(removed);
  CHECK(*removed == 3);
  verified = core::verifyAuditTrail(settings.path);
  REQUIRE(verified);
  CHECK_MESSAGE(verified->ok, verified->problem);
  CHECK(verified->records == 4);  // three kept and the retention record
  CHECK(verified->head_seq == 7);

  opened->reset();  // closes; the CLI test tampers with files, here the triggers are checked
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(settings.path.c_str(), &db) == SQLITE_OK);
  char* message = nullptr;
  CHECK(sqlite3_exec(db, "UPDATE audit_records SET client = 'x' WHERE seq = 5", nullptr, nullptr,
                     &message) != SQLITE_OK);
  sqlite3_free(message);
  CHECK(sqlite3_exec(db, "DELETE FROM audit_records WHERE seq = 5", nullptr, nullptr, &message) !=
        SQLITE_OK);
  sqlite3_free(message);
  // Someone who drops the triggers can change a record, and verification says which.
  REQUIRE(sqlite3_exec(db,
                       "DROP TRIGGER audit_records_no_update; "
                       "UPDATE audit_records SET client = 'someone-else' WHERE seq = 5",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  verified = core::verifyAuditTrail(settings.path);
  REQUIRE(verified);
  CHECK_FALSE(verified->ok);
  CHECK(verified->first_bad_seq == 5);
  CHECK(verified->problem.find("modified") != std::string::npos);
}

TEST_CASE(
    "SHA-256 and HMAC-SHA256: a prepared key gives the one-shot bytes (RFC 4231), from any "
    "thread") {
  // SHA-256 (FIPS 180-2 "abc"), through the implementation fetched once.
  CHECK(core::toHex(core::sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  CHECK(core::toHex(core::hmacSha256("Jefe", "what do ya want for nothing?")) == expected);
  const core::HmacSha256Key key("Jefe");
  CHECK(core::toHex(key.digest("what do ya want for nothing?")) == expected);
  CHECK(key.digest("") == core::hmacSha256("Jefe", ""));
  // A long key (hashed first by HMAC) and several threads sharing one prepared key.
  const std::string long_key(131, '\xaa');
  const core::HmacSha256Key shared(long_key);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string data = "RSSMRA80A01A662" + std::to_string(t * 1000 + i);
        if (shared.digest(data) != core::hmacSha256(long_key, data)) ++mismatches[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(mismatches == std::vector<int>(4, 0));
}

TEST_CASE("audit trail: records from several threads while the writer gathers, all committed") {
  // The writer wakes on the first record and then on a full batch (kGatherMax): four threads
  // queue several batches' worth at once; flush() and closing commit everything queued.
  TempConfig config;
  core::AuditConfig settings;
  settings.path = config.root() / "var/audit.db";
  auto opened = core::AuditTrail::open(settings);
  REQUIRE(opened);
  auto& trail = **opened;
  const int per_thread = static_cast<int>(core::AuditTrail::kGatherMax) + 300;
  auto queue = [&trail](int from, int count) {
    for (int i = from; i < from + count; ++i) {
      core::AuditRecord record;
      record.exchange_id = "x-" + std::to_string(i);
      record.tenant = "072006";
      record.client = "portal";
      record.service = "tributi.posizioni";
      record.outcome = "ok";
      trail.record(std::move(record));
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(queue, t * per_thread, per_thread);
  for (auto& thread : threads) thread.join();
  trail.flush();
  auto verified = core::verifyAuditTrail(settings.path);
  REQUIRE(verified);
  CHECK_MESSAGE(verified->ok, verified->problem);
  CHECK(verified->records == 4 * per_thread);

  queue(4 * per_thread, 7);  // no flush: closing the trail commits them
  opened->reset();
  verified = core::verifyAuditTrail(settings.path);
  REQUIRE(verified);
  CHECK_MESSAGE(verified->ok, verified->problem);
  CHECK(verified->records == 4 * per_thread + 7);
}

namespace {
std::mutex g_audit_log_mutex;
std::string g_audit_log;
void captureAuditLog(std::string_view line) {
  std::lock_guard lock(g_audit_log_mutex);
  g_audit_log.append(line).push_back('\n');
}
}  // namespace

TEST_CASE("audit trail: a batch whose COMMIT fails is reported lost; the chain stays whole") {
  TempConfig config;
  core::AuditConfig settings;
  settings.path = config.root() / "var/audit.db";
  test::FailingCommits failing;
  auto opened = core::AuditTrail::open(settings);
  REQUIRE(opened);
  auto& trail = **opened;
  auto queue = [&trail](const std::string& id) {
    core::AuditRecord record;
    record.exchange_id = id;
    record.tenant = "072006";
    record.client = "portal";
    record.service = "tributi.posizioni";
    record.outcome = "ok";
    trail.record(std::move(record));
  };
  g_audit_log.clear();
  core::setLogSink(captureAuditLog);
  test::FailingCommits::pending = 1;
  queue("lost-1");
  trail.flush();
  CHECK(test::FailingCommits::pending == 0);
  queue("kept-1");
  queue("kept-2");
  trail.flush();
  core::setLogSink([](std::string_view) {});
  // Said loudly, with how many; the records after it are chained to what was committed.
  CHECK(g_audit_log.find("\"msg\":\"audit records lost\"") != std::string::npos);
  CHECK(g_audit_log.find("\"count\":1") != std::string::npos);
  auto verified = core::verifyAuditTrail(settings.path);
  REQUIRE(verified);
  CHECK_MESSAGE(verified->ok, verified->problem);
  CHECK(verified->records == 2);
  CHECK(fileBytes(settings.path).find("lost-1") == std::string::npos);
}

TEST_CASE("audit: fiscal codes found in a request") {
  CHECK(core::findFiscalCode(R"(<string key="cf">RSSMRA80A01A662A</string>)") ==
        "RSSMRA80A01A662A");
  CHECK(core::findFiscalCode("cf=RSSMRA80A01A662B") == "");  // wrong check character
  CHECK(core::findFiscalCode("XRSSMRA80A01A662A") == "");
  CHECK(core::findFiscalCode("none here") == "");
}
