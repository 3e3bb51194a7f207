// The `db` adapter's commit groups on SQLite: calls that wait for the connection share one
// transaction, each under a savepoint; failures, lost transactions and deadlines.
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <future>
#include <initializer_list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/adapters/db_test_support.hpp"
#include "tests/support/failing_commits.hpp"

using namespace egov::test::dbtest;

namespace {

// Calls in flight on an io_context of their own, each one's answer kept in its slot.
struct Calls {
  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> guard{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  std::vector<std::string> answers = std::vector<std::string>(16);
  std::atomic<int> done{0};

  ~Calls() {
    guard.reset();
    thread.join();
  }

  void spawn(std::shared_ptr<core::Endpoint> endpoint, std::size_t slot, std::string body,
             core::Clock::duration timeout = 60s) {
    net::co_spawn(
        io,
        [this, endpoint, slot, body, timeout]() -> awaitable<void> {
          auto exchange = exchangeOf(body);
          core::CallRequest request{exchange, *exchange.body, core::Clock::now() + timeout};
          answers[slot] = text(co_await endpoint->call(request));
          ++done;
        },
        net::detached);
  }
};

constexpr const char* kGroupStatements = R"yaml(  paga:
    sql: "INSERT INTO pagamenti (iuv, cf, importo) VALUES (:iuv, 'X', 1)"
    params: { iuv: "iuv" }
  carica:
    for_each: "row"
    sql: "INSERT INTO pagamenti (iuv, cf, importo) VALUES (:iuv, :cf, egov_decimal_it(:importo))"
    params: { iuv: "iuv", cf: "cf", importo: "importo" }
  infinita:
    sql: >-
      INSERT INTO pagamenti (iuv, cf, importo) SELECT :iuv, 'X', 1 FROM (WITH RECURSIVE
      c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c) WHERE x < 0
    params: { iuv: "iuv" }
)yaml";

// The query envelope: several statements, so each call names its own.
std::string query(const std::string& statement, const std::string& inner) {
  return R"(<query xmlns="urn:egovbus:db" statement=")" + statement + "\">" + inner + "</query>";
}

std::string paga(const std::string& iuv, const std::string& statement = "paga") {
  return query(statement, R"(<param name="iuv">)" + iuv + "</param>");
}

std::string carica(std::initializer_list<std::array<const char*, 3>> rows) {
  std::string inner;
  for (const auto& [iuv, cf, importo] : rows) {
    inner += std::string(R"(<row><param name="iuv">)") + iuv + R"(</param><param name="cf">)" + cf +
             R"(</param><param name="importo">)" + importo + "</param></row>";
  }
  return query("carica", inner);
}

const std::string kOne = "<rows xmlns=\"urn:egovbus:db\" affected=\"1\"/>";

// The first call holds the only connection, waiting for the test's lock on the file; the
// calls spawned by `queue` wait for the connection, and run as one group once the lock goes.
struct Group {
  Runtime rt;
  std::filesystem::path file = rt.database();
  std::shared_ptr<dbx::DbEndpoint> endpoint =
      rt.endpoint("type: db\ndriver: sqlite\npath: tributi.db\npool: { max: 1 }\nstatements:\n" +
                  std::string(kGroupStatements));
  SqlitePtr lock = openSqlite(file);
  Calls calls;

  Group() {
    REQUIRE_MESSAGE(endpoint, rt.errorText());
    sqliteExec(lock.get(), "BEGIN EXCLUSIVE");
    calls.spawn(endpoint, 0, paga("PRIMA"));
    // Taken into a group of its own (and waiting for the lock inside SQLite) before any other
    // call is queued.
    waitUntil([&] { return endpoint->groupStats().groups == 1; });
  }

  // Spawns the calls (slot 1, 2, ...) and waits until they all wait for the connection.
  void queue(const std::vector<std::string>& bodies) {
    for (std::size_t i = 0; i < bodies.size(); ++i) calls.spawn(endpoint, i + 1, bodies[i]);
    waitUntil([&] { return endpoint->groupStats().waiting == bodies.size(); });
  }

  void release(int calls_in_all) {
    sqliteExec(lock.get(), "COMMIT");
    waitUntil([&] { return calls.done == calls_in_all; });
  }

  std::string stored() {
    return sqliteScalar(lock.get(),
                        "SELECT coalesce(group_concat(iuv, ' '), '') FROM "
                        "(SELECT iuv FROM pagamenti ORDER BY iuv)");
  }
};

}  // namespace

TEST_CASE("db sqlite: calls waiting for the connection share one transaction and its commit") {
  Group group;
  std::vector<std::string> bodies;
  for (int i = 1; i <= 9; ++i) bodies.push_back(paga("IUV" + std::to_string(i)));
  group.queue(bodies);

  // A call whose deadline passes while it waits is answered, and never runs.
  auto late = callOnce(*group.endpoint, paga("TARDI"), core::Clock::now() + 50ms);
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().kind == core::ErrorKind::deadline_exceeded);
  CHECK(late.error().message == "t/x: deadline passed waiting for a connection (pool max 1)");

  group.release(10);
  for (int i = 0; i < 10; ++i) CHECK(group.calls.answers[i] == kOne);
  CHECK(group.stored() == "IUV1 IUV2 IUV3 IUV4 IUV5 IUV6 IUV7 IUV8 IUV9 PRIMA");
  // The first call alone, then the nine that waited, together.
  const auto stats = group.endpoint->groupStats();
  CHECK(stats.groups == 2);
  CHECK(stats.calls == 10);
  CHECK(group.endpoint->connectionsOpened() == 1);
  CHECK(group.endpoint->poolStats().idle == 1);
}

TEST_CASE("db sqlite: a call that fails in a group is undone alone; the others commit") {
  Group group;
  group.queue({paga("A"), carica({{"B", "Y", "2,5"}, {"C", "Y", "-1"}}), paga("D"), paga("A"),
               carica({{"E", "Y", "1"}, {"F", "Z", "3"}})});
  group.release(6);
  CHECK(group.calls.answers[1] == kOne);
  // The chunk's first row, B, went in before its second failed: undone with the call.
  CHECK(group.calls.answers[2] ==
        "error: t/x: for_each node 2 of 2: CHECK constraint failed: importo > 0 (sqlite error "
        "275)");
  CHECK(group.calls.answers[3] == kOne);
  CHECK(group.calls.answers[4] ==
        "error: t/x: UNIQUE constraint failed: pagamenti.iuv (sqlite error 1555)");
  CHECK(group.calls.answers[5] == "<rows xmlns=\"urn:egovbus:db\" affected=\"2\"/>");
  CHECK(group.stored() == "A D E F PRIMA");
  CHECK(group.endpoint->groupStats().groups == 2);
}

TEST_CASE("db sqlite: when SQLite ends a group's transaction, the calls that ran run again") {
  Group group;
  // An interrupted INSERT rolls back the whole transaction (SQLite's rule), A's row with it:
  // A runs again in a new transaction with C, and the interrupted call alone fails.
  group.calls.spawn(group.endpoint, 1, paga("A"));
  group.calls.spawn(group.endpoint, 2, paga("B", "infinita"), 300ms);
  group.calls.spawn(group.endpoint, 3, paga("C"));
  waitUntil([&] { return group.endpoint->groupStats().waiting == 3; });
  group.release(4);
  CHECK(group.calls.answers[1] == kOne);
  CHECK(group.calls.answers[2].starts_with("error: t/x: deadline"));
  CHECK(group.calls.answers[3] == kOne);
  CHECK(group.stored() == "A C PRIMA");
  CHECK(group.endpoint->groupStats().groups == 2);
  CHECK(group.endpoint->connectionsOpened() == 1);
}

TEST_CASE("db sqlite: a group that cannot begin its transaction fails every call in it") {
  Runtime rt;  // 4 worker threads, all held below until the calls are queued
  auto file = rt.database();
  auto endpoint = rt.endpoint(
      "type: db\ndriver: sqlite\npath: tributi.db\npool: { max: 1 }\n"
      "statement_timeout: 300ms\n"
      "statements:\n" +
      std::string(kGroupStatements));
  REQUIRE_MESSAGE(endpoint, rt.errorText());
  auto lock = openSqlite(file);
  sqliteExec(lock.get(), "BEGIN EXCLUSIVE");
  std::promise<void> go;
  std::shared_future<void> held = go.get_future().share();
  for (int i = 0; i < 4; ++i) net::post(rt.pool, [held] { held.wait(); });

  // The leader's runner waits behind the held workers, so the three calls are in one group;
  // the file's lock outlasts their statement_timeout, so BEGIN IMMEDIATE gives up.
  Calls calls;
  for (std::size_t i = 0; i < 3; ++i) calls.spawn(endpoint, i, paga("G" + std::to_string(i)));
  waitUntil([&] { return endpoint->groupStats().waiting == 3; });
  go.set_value();
  waitUntil([&] { return calls.done == 3; });
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(calls.answers[i] ==
          "error: t/x: database is locked: database is locked (sqlite error 5)");
  }
  const auto stats = endpoint->groupStats();
  CHECK(stats.groups == 1);
  CHECK(stats.calls == 3);
  sqliteExec(lock.get(), "COMMIT");
  CHECK(sqliteScalar(lock.get(), "SELECT count(*) FROM pagamenti") == "0");
  // The connection is fine for the next call.
  CHECK(text(callOnce(*endpoint, paga("DOPO"))) == kOne);
  CHECK(endpoint->connectionsOpened() == 1);
}

TEST_CASE(
    "db sqlite: a COMMIT that fails fails the calls it would have committed, alone or "
    "in a group; the connection serves the next call") {
  egov::test::FailingCommits failing;
  Group group;
  egov::test::FailingCommits::spared = group.lock.get();
  // The first call's COMMIT fails, then the group's: A and C ran in it, the second A had
  // already failed on its own.
  group.queue({paga("A"), paga("A"), paga("C")});
  egov::test::FailingCommits::pending = 2;
  group.release(4);
  const std::string failed = "error: t/x: constraint failed (sqlite error 531)";
  CHECK(group.calls.answers[0] == failed);
  CHECK(group.calls.answers[1] == failed);
  CHECK(group.calls.answers[2] ==
        "error: t/x: UNIQUE constraint failed: pagamenti.iuv (sqlite error 1555)");
  CHECK(group.calls.answers[3] == failed);
  CHECK(egov::test::FailingCommits::pending == 0);
  CHECK(group.stored() == "");
  CHECK(group.endpoint->groupStats().groups == 2);
  // Nothing is left open: the next call commits on the same connection.
  CHECK(text(callOnce(*group.endpoint, paga("DOPO"))) == kOne);
  CHECK(group.stored() == "DOPO");
  CHECK(group.endpoint->connectionsOpened() == 1);
}
