// The Journal contract, run against both backends: SQLite (a file) and PostgreSQL (a schema
// of the throwaway test server). Every case loops over the backends.
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "core/cli/commands.hpp"
#include "core/journal/pg_journal.hpp"
#include "tests/support/journal_store.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_config.hpp"
#include "tests/support/test_http_server.hpp"

using namespace egov;
using namespace std::chrono_literals;
using test::JournalBackend;
using test::JournalStore;
using test::runCoroutine;

namespace {

std::vector<std::string> ids(const std::vector<core::JournalEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.id);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> claimIds(core::Journal& journal, std::size_t limit = 100) {
  auto claimed = runCoroutine(journal.claimDue(limit, 60s));
  REQUIRE(claimed.ok());
  return ids(*claimed);
}

using Ids = std::vector<std::string>;

bool applied(const core::Result<core::Settled>& settled) {
  return settled.ok() && *settled == core::Settled::applied;
}

}  // namespace

TEST_CASE(
    "journal contract: enqueue is durable across a reopen, idempotency keys dedupe per tenant") {
  for (auto backend : test::kJournalBackends) {
    INFO("backend: " << test::journalBackendName(backend));
    JournalStore store(backend);
    {
      auto journal = store.open();
      auto first = runCoroutine(journal->enqueue(test::journalEntry("a", "key-1"), 24h));
      REQUIRE(first.ok());
      CHECK_FALSE(first->duplicate);
      auto again = runCoroutine(journal->enqueue(test::journalEntry("b", "key-1"), 24h));
      REQUIRE(again.ok());
      CHECK(again->duplicate);
      CHECK(again->id == "a");
      auto other_tenant = test::journalEntry("c", "key-1");
      other_tenant.tenant_istat = "072029";
      CHECK_FALSE(runCoroutine(journal->enqueue(other_tenant, 24h))->duplicate);
      // An expired key no longer dedupes: the new exchange takes it over.
      CHECK_FALSE(
          runCoroutine(journal->enqueue(test::journalEntry("d", "key-2"), -1ms))->duplicate);
      auto renewed = runCoroutine(journal->enqueue(test::journalEntry("e", "key-2"), 24h));
      CHECK_FALSE(renewed->duplicate);
      CHECK(runCoroutine(journal->enqueue(test::journalEntry("f", "key-2"), 24h))->id == "e");
    }
    auto reopened = store.open();
    auto found = runCoroutine(reopened->find("072006", "a"));
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    const auto& a = **found;
    CHECK(a.state == core::EntryState::queued);
    CHECK(a.resume_step == 1);
    CHECK(a.tenant_slug == "bari");
    CHECK(a.trace_id == "trace-1");
    CHECK(a.client == "portale");
    CHECK(a.idempotency_key == "key-1");
    CHECK(a.body == test::journalEntry("a").body);  // UTF-8 kept
    CHECK(a.created_ms > 0);
    CHECK_FALSE(runCoroutine(reopened->find("072006", "b"))->has_value());
    CHECK_FALSE(runCoroutine(reopened->find("072029", "a"))->has_value());  // tenants are separate
  }
}

TEST_CASE("journal contract: claim, lease expiry, retry, dead letter, replay and discard") {
  for (auto backend : test::kJournalBackends) {
    INFO("backend: " << test::journalBackendName(backend));
    JournalStore store(backend);
    auto journal = store.open();
    REQUIRE(runCoroutine(journal->enqueue(test::journalEntry("a"), 24h)).ok());
    REQUIRE(runCoroutine(journal->enqueue(test::journalEntry("b"), 24h)).ok());

    CHECK(claimIds(*journal) == Ids{"a", "b"});
    CHECK(claimIds(*journal).empty());  // leased
    CHECK((*runCoroutine(journal->find("072006", "a")))->state == core::EntryState::delivering);

    // A delivery cut off (crash) is retaken once its lease has expired.
    REQUIRE(applied(runCoroutine(journal->reschedule("a", test::leaseToken(*journal, "a"), 1,
                                                     core::nowMs() + 3'600'000, "HTTP 503"))));
    auto rescheduled = *runCoroutine(journal->find("072006", "a"));
    CHECK(rescheduled->attempts == 1);
    CHECK(rescheduled->last_error == "HTTP 503");
    REQUIRE(runCoroutine(journal->enqueue(test::journalEntry("c"), 24h)).ok());
    auto crashed = runCoroutine(journal->claimDue(10, -1ms));  // lease already over
    CHECK(ids(*crashed) == Ids{"c"});
    CHECK(claimIds(*journal) == Ids{"c"});

    REQUIRE(applied(runCoroutine(journal->markDelivered("c", test::leaseToken(*journal, "c"), 1))));
    CHECK((*runCoroutine(journal->find("072006", "c")))->state == core::EntryState::delivered);

    REQUIRE(applied(runCoroutine(
        journal->deadLetter("b", test::leaseToken(*journal, "b"), 3, "gave up after 3 attempts"))));
    auto dead = runCoroutine(journal->listDead("", 10));
    REQUIRE(dead->size() == 1);
    CHECK(dead->front().id == "b");
    CHECK(dead->front().last_error == "gave up after 3 attempts");
    CHECK(runCoroutine(journal->listDead("072029", 10))->empty());

    REQUIRE(
        runCoroutine(journal->resolveDead({"b", "replay", "operatore", "back-end fixed"})).ok());
    auto replayed = runCoroutine(journal->find("072006", "b"));
    CHECK((*replayed)->state == core::EntryState::queued);
    CHECK((*replayed)->attempts == 0);
    auto not_dead = runCoroutine(journal->resolveDead({"b", "discard", "operatore", "twice"}));
    REQUIRE_FALSE(not_dead.ok());
    CHECK(not_dead.error().kind == core::ErrorKind::not_found);
    auto unknown = runCoroutine(journal->resolveDead({"b", "explode", "operatore", "?"}));
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().kind == core::ErrorKind::bad_request);

    CHECK(claimIds(*journal) == Ids{"b"});
    REQUIRE(applied(
        runCoroutine(journal->deadLetter("b", test::leaseToken(*journal, "b"), 1, "HTTP 400"))));
    REQUIRE(runCoroutine(journal->resolveDead({"b", "discard", "operatore", "duplicate"})).ok());
    CHECK((*runCoroutine(journal->find("072006", "b")))->state == core::EntryState::discarded);
    // Who did what, and why, is recorded.
    CHECK(store.sql("SELECT who || '/' || why FROM dead_letter_actions WHERE action = 'replay'") ==
          "operatore/back-end fixed");
    CHECK(store.sql("SELECT who || '/' || why FROM dead_letter_actions WHERE action = 'discard'") ==
          "operatore/duplicate");
    CHECK(store.sql("SELECT COUNT(*) FROM attempts WHERE exchange_id = 'b'") == "2");
  }
}

TEST_CASE(
    "journal contract: an entry stored claimed is delivering under its lease, retaken only when "
    "it expires, and a duplicate is not claimed") {
  for (auto backend : test::kJournalBackends) {
    INFO("backend: " << test::journalBackendName(backend));
    JournalStore store(backend);
    auto journal = store.open();
    auto a = test::journalEntry("a", "key-1");
    auto stored = runCoroutine(journal->enqueueClaimed(a, 24h, 60s));
    REQUIRE(stored.ok());
    CHECK_FALSE(stored->duplicate);
    CHECK(stored->lease_token == 1);
    auto found = *runCoroutine(journal->find("072006", "a"));
    CHECK(found->state == core::EntryState::delivering);
    CHECK(found->lease_token == 1);
    CHECK(found->attempts == 0);
    CHECK(found->body == a.body);
    CHECK(claimIds(*journal).empty());  // its lease holds

    // The same key again: the first entry's id, nothing claimed, the first left as it was.
    auto again = runCoroutine(journal->enqueueClaimed(test::journalEntry("b", "key-1"), 24h, 60s));
    REQUIRE(again.ok());
    CHECK(again->duplicate);
    CHECK(again->id == "a");
    CHECK(again->lease_token == 0);
    CHECK(test::leaseToken(*journal, "a") == 1);
    CHECK_FALSE(runCoroutine(journal->find("072006", "b"))->has_value());
    REQUIRE(applied(runCoroutine(journal->markDelivered("a", 1, 1))));
    CHECK((*runCoroutine(journal->find("072006", "a")))->state == core::EntryState::delivered);

    // A holder that never settles (a crash): once the lease is over a claim retakes the entry
    // with the next token, and the first holder's settle is stale.
    REQUIRE(runCoroutine(journal->enqueueClaimed(test::journalEntry("c"), 24h, -1ms)).ok());
    auto retaken = runCoroutine(journal->claimDue(10, 60s));
    REQUIRE(retaken.ok());
    REQUIRE(ids(*retaken) == Ids{"c"});
    CHECK(retaken->front().lease_token == 2);
    auto late = runCoroutine(journal->markDelivered("c", 1, 1));
    REQUIRE(late.ok());
    CHECK(*late == core::Settled::stale);
    REQUIRE(applied(runCoroutine(journal->markDelivered("c", 2, 1))));
    // Stored plainly, an entry is queued, never claimed (token 0) until claimDue takes it.
    auto plain = runCoroutine(journal->enqueue(test::journalEntry("d"), 24h));
    REQUIRE(plain.ok());
    CHECK(plain->lease_token == 0);
    CHECK((*runCoroutine(journal->find("072006", "d")))->state == core::EntryState::queued);
  }
}

TEST_CASE(
    "journal contract: a settle with the token of an expired, retaken claim changes nothing") {
  for (auto backend : test::kJournalBackends) {
    INFO("backend: " << test::journalBackendName(backend));
    JournalStore store(backend);
    auto journal = store.open();
    REQUIRE(runCoroutine(journal->enqueue(test::journalEntry("slow"), 24h)).ok());
    REQUIRE(runCoroutine(journal->enqueue(test::journalEntry("late"), 24h)).ok());

    // Instance A claims with a lease that is already over (its delivery is slow), instance
    // B claims the same entries again: each claim has a token of its own.
    auto first = runCoroutine(journal->claimDue(10, -1ms));
    REQUIRE(first.ok());
    REQUIRE(ids(*first) == Ids{"late", "slow"});
    auto second = runCoroutine(journal->claimDue(10, 60s));
    REQUIRE(second.ok());
    REQUIRE(ids(*second) == Ids{"late", "slow"});
    auto tokenIn = [](const std::vector<core::JournalEntry>& claimed, const std::string& id) {
      for (const auto& e : claimed) {
        if (e.id == id) return e.lease_token;
      }
      return std::int64_t{-1};
    };
    const auto old_slow = tokenIn(*first, "slow");
    const auto new_slow = tokenIn(*second, "slow");
    CHECK(old_slow != new_slow);
    CHECK(test::leaseToken(*journal, "slow") == new_slow);

    // B delivers; A's late reschedule and dead letter are stale and change nothing.
    REQUIRE(applied(runCoroutine(journal->markDelivered("slow", new_slow, 1))));
    auto stale = runCoroutine(journal->reschedule("slow", old_slow, 1, core::nowMs(), "timeout"));
    REQUIRE(stale.ok());
    CHECK(*stale == core::Settled::stale);
    stale = runCoroutine(journal->deadLetter("slow", old_slow, 1, "HTTP 400"));
    REQUIRE(stale.ok());
    CHECK(*stale == core::Settled::stale);
    auto slow = *runCoroutine(journal->find("072006", "slow"));
    CHECK(slow->state == core::EntryState::delivered);
    CHECK(slow->last_error.empty());
    CHECK(claimIds(*journal).empty());  // not queued again
    CHECK(runCoroutine(journal->listDead("", 10))->empty());
    // Even the token of the claim that settled cannot settle it twice.
    CHECK(*runCoroutine(journal->deadLetter("slow", new_slow, 2, "x")) == core::Settled::stale);
    CHECK(store.sql("SELECT COUNT(*) FROM attempts WHERE exchange_id = 'slow'") == "1");

    // A's stale settle while B still delivers leaves B's lease alone; B's settle applies.
    const auto old_late = tokenIn(*first, "late");
    const auto new_late = tokenIn(*second, "late");
    // (Each of the three settles, while the entry is delivering for B: only the token tells.)
    CHECK(*runCoroutine(journal->reschedule("late", old_late, 1, core::nowMs(), "timeout")) ==
          core::Settled::stale);
    CHECK(*runCoroutine(journal->deadLetter("late", old_late, 1, "HTTP 400")) ==
          core::Settled::stale);
    CHECK(*runCoroutine(journal->markDelivered("late", old_late, 1)) == core::Settled::stale);
    auto late = *runCoroutine(journal->find("072006", "late"));
    CHECK(late->state == core::EntryState::delivering);
    CHECK(claimIds(*journal).empty());  // still leased to B
    REQUIRE(
        applied(runCoroutine(journal->reschedule("late", new_late, 1, core::nowMs(), "HTTP 503"))));
    late = *runCoroutine(journal->find("072006", "late"));
    CHECK(late->state == core::EntryState::queued);
    CHECK(late->last_error == "HTTP 503");
    // The next claim has a newer token still.
    CHECK(claimIds(*journal) == Ids{"late"});
    CHECK(test::leaseToken(*journal, "late") > new_late);
    CHECK(store.sql("SELECT COUNT(*) FROM attempts WHERE exchange_id = 'late'") == "1");
  }
}

TEST_CASE("journal contract: many concurrent enqueues share commits and all land") {
  for (auto backend : test::kJournalBackends) {
    INFO("backend: " << test::journalBackendName(backend));
    JournalStore store(backend);
    auto journal = store.open();
    net::io_context io;
    int stored = 0;
    for (int i = 0; i < 200; ++i) {
      net::co_spawn(
          io,
          [&, i]() -> awaitable<void> {
            // Every fourth shares an idempotency key with the one before it.
            auto key = "k" + std::to_string(i / 4 * 4 + (i % 4 == 3 ? 2 : i % 4));
            // Named before the co_await: see test::journalEntry().
            auto e = test::journalEntry("id-" + std::to_string(i), key);
            auto r = co_await journal->enqueue(std::move(e), 24h);
            if (r.ok() && !r->duplicate) ++stored;
          },
          net::detached);
    }
    io.run();
    CHECK(stored == 150);
    CHECK(claimIds(*journal, 1000).size() == 150);
  }
}

TEST_CASE("journal contract: one failing operation in a batch does not undo the others") {
  for (auto backend : test::kJournalBackends) {
    INFO("backend: " << test::journalBackendName(backend));
    JournalStore store(backend);
    auto journal = store.open();
    REQUIRE(runCoroutine(journal->enqueue(test::journalEntry("dup"), 24h)).ok());
    net::io_context io;
    std::vector<bool> outcomes(20);
    for (int i = 0; i < 20; ++i) {
      net::co_spawn(
          io,
          [&, i]() -> awaitable<void> {
            // The tenth reuses an id: its insert fails, the other nineteen must land. The
            // fifth has an idempotency key (two statements): stored once, whether its batch
            // ran once or was run again after the failure.
            auto e =
                test::journalEntry(i == 9 ? "dup" : "n" + std::to_string(i), i == 4 ? "key-5" : "");
            auto r = co_await journal->enqueue(std::move(e), 24h);
            outcomes[static_cast<std::size_t>(i)] = r.ok();
          },
          net::detached);
    }
    io.run();
    CHECK(std::count(outcomes.begin(), outcomes.end(), true) == 19);
    CHECK_FALSE(outcomes[9]);
    auto again = runCoroutine(journal->enqueue(test::journalEntry("n-again", "key-5"), 24h));
    REQUIRE(again.ok());
    CHECK(again->duplicate);
    CHECK(again->id == "n4");
    CHECK(claimIds(*journal, 1000).size() == 20);
  }
}

TEST_CASE(
    "journal contract: ordered entries are claimed one at a time per key, in acceptance order") {
  for (auto backend : test::kJournalBackends) {
    INFO("backend: " << test::journalBackendName(backend));
    JournalStore store(backend);
    auto journal = store.open();
    for (const auto& [id, key] : std::vector<std::pair<std::string, std::string>>{
             {"a1", "A"}, {"b1", "B"}, {"a2", "A"}, {"free", ""}, {"a3", "A"}, {"b2", "B"}}) {
      REQUIRE(runCoroutine(journal->enqueue(test::journalEntry(id, {}, key), 24h)).ok());
    }
    auto other_service = test::journalEntry("s1", {}, "A");
    other_service.service = "welfare.altro";
    REQUIRE(runCoroutine(journal->enqueue(other_service, 24h)).ok());
    auto other_tenant = test::journalEntry("t1", {}, "A");
    other_tenant.tenant_istat = "072029";
    REQUIRE(runCoroutine(journal->enqueue(other_tenant, 24h)).ok());
    CHECK((*runCoroutine(journal->find("072006", "a2")))->order_key == "A");

    // Only the head of each (tenant, service, key) is due; unordered entries always are.
    CHECK(claimIds(*journal) == Ids{"a1", "b1", "free", "s1", "t1"});
    // A head being retried blocks its own key only.
    REQUIRE(applied(runCoroutine(journal->reschedule("a1", test::leaseToken(*journal, "a1"), 1,
                                                     core::nowMs() + 3'600'000, "HTTP 503"))));
    REQUIRE(
        applied(runCoroutine(journal->markDelivered("b1", test::leaseToken(*journal, "b1"), 1))));
    CHECK(claimIds(*journal) == Ids{"b2"});
    // A queued entry cannot be settled (it holds no lease); its retry time comes instead.
    CHECK(*runCoroutine(journal->reschedule("a1", test::leaseToken(*journal, "a1"), 1,
                                            core::nowMs(), "HTTP 503")) == core::Settled::stale);
    store.sql("UPDATE exchanges SET next_attempt_ms = 0 WHERE id = 'a1'");
    CHECK(claimIds(*journal) == Ids{"a1"});
    REQUIRE(
        applied(runCoroutine(journal->markDelivered("a1", test::leaseToken(*journal, "a1"), 2))));
    CHECK(claimIds(*journal) == Ids{"a2"});
    // A dead letter no longer holds its key back.
    REQUIRE(applied(
        runCoroutine(journal->deadLetter("a2", test::leaseToken(*journal, "a2"), 1, "HTTP 400"))));
    CHECK(claimIds(*journal) == Ids{"a3"});
  }
}

TEST_CASE("journal contract: a schema from a newer egovbus is refused") {
  for (auto backend : test::kJournalBackends) {
    INFO("backend: " << test::journalBackendName(backend));
    JournalStore store(backend);
    { store.open(); }
    store.sql(backend == JournalBackend::sqlite
                  ? "INSERT INTO schema_version VALUES (99)"
                  : "INSERT INTO schema_migrations (version) VALUES (99)");
    auto journal = store.tryOpen();
    REQUIRE_FALSE(journal.ok());
    CHECK(journal.error().message.find("schema version 99 is newer") != std::string::npos);
  }
}

TEST_CASE("journal contract: egovbus dlq lists, replays and discards on the configured backend") {
  for (auto backend : test::kJournalBackends) {
    INFO("backend: " << test::journalBackendName(backend));
    JournalStore store(backend);
    test::TempConfig config;
    config.write("conf/bus.yaml",
                 "listen: 127.0.0.1:0\njournal: { " + store.yamlSettings() + " }\n");
    const auto bus_file = (config.root() / "conf/bus.yaml").string();
    {
      auto journal = store.open();
      REQUIRE(runCoroutine(journal->enqueue(test::journalEntry("x"), 24h)).ok());
      REQUIRE(runCoroutine(journal->enqueue(test::journalEntry("y"), 24h)).ok());
      REQUIRE(claimIds(*journal) == Ids{"x", "y"});
      REQUIRE(applied(
          runCoroutine(journal->deadLetter("x", test::leaseToken(*journal, "x"), 2, "HTTP 400"))));
      REQUIRE(applied(
          runCoroutine(journal->deadLetter("y", test::leaseToken(*journal, "y"), 2, "HTTP 400"))));
    }
    CHECK(core::dlqCommand({bus_file, "list", "", "", "", "t"}) == 0);
    CHECK(core::dlqCommand({bus_file, "show", "x", "", "", "t"}) == 0);
    CHECK(core::dlqCommand({bus_file, "show", "nope", "", "", "t"}) == 1);
    CHECK(core::dlqCommand({bus_file, "replay", "x", "", "", "t"}) == 2);  // no reason
    CHECK(core::dlqCommand({bus_file, "replay", "x", "", "fixed", "t"}) == 0);
    CHECK(core::dlqCommand({bus_file, "discard", "y", "", "duplicate", "t"}) == 0);
    CHECK(core::dlqCommand({bus_file, "discard", "y", "", "again", "t"}) == 1);  // no longer dead
    auto journal = store.open();
    CHECK((*runCoroutine(journal->find("072006", "x")))->state == core::EntryState::queued);
    CHECK((*runCoroutine(journal->find("072006", "y")))->state == core::EntryState::discarded);
    CHECK(store.sql("SELECT action || '/' || who || '/' || why FROM dead_letter_actions "
                    "WHERE exchange_id = 'x'") == "replay/t/fixed");
  }
}

TEST_CASE("journal contract: a batch file is recorded once per (source, name, hash) and resumes") {
  for (auto backend : test::kJournalBackends) {
    INFO("backend: " << test::journalBackendName(backend));
    JournalStore store(backend);
    core::BatchFile batch;
    batch.id = "batch-1";
    batch.tenant_istat = "072006";
    batch.source = "bari/tari-drop";
    batch.file_name = "tari-2026.csv";
    batch.content_hash = "abc123";
    {
      auto journal = store.open();
      auto begun = runCoroutine(journal->beginBatch(batch));
      REQUIRE(begun.ok());
      CHECK(begun->id == "batch-1");
      CHECK(begun->state == core::BatchState::running);
      CHECK(begun->started_ms > 0);
      REQUIRE(runCoroutine(journal->updateBatch("batch-1", 500, 3, 1000)).ok());
      CHECK(runCoroutine(journal->updateBatch("nope", 1, 0, 1)).error().kind ==
            core::ErrorKind::not_found);
      CHECK(runCoroutine(journal->finishBatch("nope", core::BatchState::done, "")).error().kind ==
            core::ErrorKind::not_found);
    }
    auto journal = store.open();  // a restart resumes where it was
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
    CHECK(runCoroutine(journal->listBatches("", 1))->size() == 1);
  }
}

TEST_CASE("journal contract: exchanges are searched by id, tenants, service, state and time") {
  for (auto backend : test::kJournalBackends) {
    INFO("backend: " << test::journalBackendName(backend));
    JournalStore store(backend);
    auto journal = store.open();
    auto molfetta = [](std::string id, std::string service) {
      auto e = test::journalEntry(std::move(id));
      e.tenant_istat = "072029";
      e.tenant_slug = "molfetta";
      e.service = std::move(service);
      return e;
    };
    auto b1 = test::journalEntry("b1"), b2 = test::journalEntry("b2"),
         m1 = molfetta("m1", "welfare.domanda"), m2 = molfetta("m2", "tari.versamento");
    for (auto* e : {&b1, &b2, &m1, &m2}) REQUIRE(runCoroutine(journal->enqueue(*e, 24h)).ok());
    // Creation times fixed by hand, so the time bounds do not depend on the clock.
    store.sql("UPDATE exchanges SET created_ms = 1000 WHERE id = 'b1'");
    store.sql("UPDATE exchanges SET created_ms = 2000 WHERE id = 'm1'");
    store.sql("UPDATE exchanges SET created_ms = 3000 WHERE id = 'b2'");
    store.sql("UPDATE exchanges SET created_ms = 4000 WHERE id = 'm2'");
    // m1 dead-lettered as a delivery would (through its claim); the others put back as queued.
    auto claimed = runCoroutine(journal->claimDue(10, 60s));
    REQUIRE(claimed.ok());
    REQUIRE(claimed->size() == 4);
    for (const auto& e : *claimed) {
      auto settled =
          e.id == "m1"
              ? runCoroutine(journal->deadLetter(e.id, e.lease_token, 3, "HTTP 400"))
              : runCoroutine(journal->reschedule(e.id, e.lease_token, 0, e.next_attempt_ms, ""));
      REQUIRE(applied(settled));
    }

    auto search = [&](core::ExchangeQuery query) {
      auto found = runCoroutine(journal->searchExchanges(std::move(query)));
      REQUIRE(found.ok());
      Ids out;
      for (const auto& e : *found) out.push_back(e.id);
      return out;  // in the journal's order: newest first
    };
    core::ExchangeQuery all;
    CHECK(search(all) == Ids{"m2", "b2", "m1", "b1"});
    core::ExchangeQuery bari;
    bari.tenants = {"072006"};
    CHECK(search(bari) == Ids{"b2", "b1"});
    core::ExchangeQuery both;
    both.tenants = {"072006", "072029"};
    both.limit = 3;
    CHECK(search(both) == Ids{"m2", "b2", "m1"});
    core::ExchangeQuery other;
    other.tenants = {"072004"};
    CHECK(search(other).empty());
    core::ExchangeQuery service;
    service.service = "tari.versamento";
    CHECK(search(service) == Ids{"m2"});
    core::ExchangeQuery dead;
    dead.state = core::EntryState::dead;
    CHECK(search(dead) == Ids{"m1"});
    core::ExchangeQuery dead_in_bari = dead;
    dead_in_bari.tenants = {"072006"};
    CHECK(search(dead_in_bari).empty());
    core::ExchangeQuery window;
    window.since = 2000;  // inclusive
    window.until = 4000;  // exclusive
    CHECK(search(window) == Ids{"b2", "m1"});
    core::ExchangeQuery by_id;
    by_id.id = "m1";
    auto found = runCoroutine(journal->searchExchanges(by_id));
    REQUIRE(found->size() == 1);
    CHECK(found->front().state == core::EntryState::dead);
    CHECK(found->front().tenant_slug == "molfetta");
    CHECK(found->front().body.find("Bari") != std::string::npos);
    by_id.tenants = {"072006"};
    CHECK(search(by_id).empty());

    // The history: attempts, then who replayed it and why.
    REQUIRE(runCoroutine(journal->resolveDead({"m1", "replay", "operatore", "fixed"})).ok());
    auto history = runCoroutine(journal->exchangeHistory("m1"));
    REQUIRE(history.ok());
    REQUIRE(history->size() == 2);
    CHECK((*history)[0].kind == "attempt");
    CHECK((*history)[0].attempt == 3);
    CHECK((*history)[0].outcome == "dead");
    CHECK((*history)[0].detail == "HTTP 400");
    CHECK((*history)[1].kind == "replay");
    CHECK((*history)[1].who == "operatore");
    CHECK((*history)[1].detail == "fixed");
    CHECK((*history)[1].at_ms >= (*history)[0].at_ms);
    CHECK(runCoroutine(journal->exchangeHistory("nope"))->empty());
  }
}

// --- several instances on one PostgreSQL ----------------------------------------------------

TEST_CASE(
    "journal postgresql: two instances never claim the same entry, and share idempotency keys") {
  JournalStore store(JournalBackend::postgresql);
  auto first = store.open();
  auto second = store.open();
  for (int i = 0; i < 300; ++i) {
    auto& journal = i % 2 ? *first : *second;
    REQUIRE(runCoroutine(journal.enqueue(test::journalEntry("e" + std::to_string(i)), 24h)).ok());
  }
  // The same key through either instance names the same exchange.
  auto a = runCoroutine(first->enqueue(test::journalEntry("k-a", "domanda-7"), 24h));
  auto b = runCoroutine(second->enqueue(test::journalEntry("k-b", "domanda-7"), 24h));
  CHECK(b->duplicate);
  CHECK(b->id == a->id);

  std::vector<std::string> claimed_by[2];
  std::vector<std::thread> claimers;
  for (int c = 0; c < 2; ++c) {
    claimers.emplace_back([&, c] {
      auto& journal = c ? *first : *second;
      for (;;) {
        auto claimed = runCoroutine(journal.claimDue(7, 60s));
        if (!claimed.ok() || claimed->empty()) break;
        for (auto& e : *claimed) claimed_by[c].push_back(e.id);
      }
    });
  }
  for (auto& t : claimers) t.join();
  // Both instances see the same dropped file: one record, one id.
  core::BatchFile file;
  file.tenant_istat = "072006";
  file.source = "bari/tari-drop";
  file.file_name = "tari.csv";
  file.content_hash = "ff00";
  file.id = "from-first";
  auto seen_first = runCoroutine(first->beginBatch(file));
  file.id = "from-second";
  auto seen_second = runCoroutine(second->beginBatch(file));
  CHECK(seen_first->id == "from-first");
  CHECK(seen_second->id == "from-first");

  std::set<std::string> all(claimed_by[0].begin(), claimed_by[0].end());
  all.insert(claimed_by[1].begin(), claimed_by[1].end());
  CHECK(claimed_by[0].size() + claimed_by[1].size() == 301);  // nobody took one twice
  CHECK(all.size() == 301);
}

TEST_CASE(
    "journal postgresql: concurrent enqueues of one key through two instances give one exchange") {
  JournalStore store(JournalBackend::postgresql);
  auto first = store.open();
  auto second = store.open();
  std::vector<std::string> answered(40);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      net::io_context io;
      for (int i = t; i < 40; i += 2) {
        net::co_spawn(
            io,
            [&, i]() -> awaitable<void> {
              auto& journal = i % 2 ? *first : *second;
              auto e = test::journalEntry("c" + std::to_string(i), "same-key");
              auto r = co_await journal.enqueue(std::move(e), 24h);
              answered[static_cast<std::size_t>(i)] =
                  r.ok() ? r->id : "error: " + r.error().message;
            },
            net::detached);
      }
      io.run();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& id : answered) CHECK(id == answered.front());
  CHECK(answered.front().rfind("c", 0) == 0);
  CHECK(store.sql("SELECT COUNT(*) FROM exchanges") == "1");
}

TEST_CASE(
    "journal postgresql: a server restart fails operations as unavailable, then they recover") {
  JournalStore store(JournalBackend::postgresql);
  auto journal = store.open();
  REQUIRE(runCoroutine(journal->enqueue(test::journalEntry("before"), 24h)).ok());
  auto& server = test::testPostgres();
  server.stop();
  auto down = runCoroutine(journal->enqueue(test::journalEntry("during"), 24h));
  REQUIRE_FALSE(down.ok());
  CHECK(down.error().kind == core::ErrorKind::unavailable);
  CHECK(down.error().message.find(test::PostgresServer::kPassword) == std::string::npos);
  server.start();
  auto up = runCoroutine(journal->enqueue(test::journalEntry("after"), 24h));
  REQUIRE_MESSAGE(up.ok(), up.error().message);
  CHECK(claimIds(*journal) == Ids{"after", "before"});
}

TEST_CASE(
    "journal postgresql: a server that is not there is a clear error at open, without secrets") {
  auto journal =
      core::PgJournal::open({"host=127.0.0.1 port=" + std::to_string(test::closedLocalPort()) +
                                 " user=egov password=" + test::PostgresServer::kPassword,
                             1, 1s});
  REQUIRE_FALSE(journal.ok());
  CHECK(journal.error().message.find("journal postgresql: cannot connect") != std::string::npos);
  CHECK(journal.error().message.find(test::PostgresServer::kPassword) == std::string::npos);
}
