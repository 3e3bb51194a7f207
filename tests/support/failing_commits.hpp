// COMMITs made to fail, for tests of what a failed COMMIT leaves (the db adapter's groups,
// the journal's batches).
#pragma once

#include <sqlite3.h>

#include <atomic>

namespace egov::test {

// Every SQLite connection opened while a FailingCommits lives (sqlite3_auto_extension) gets
// a commit hook that turns the next `pending` COMMITs, of all those connections together,
// into ROLLBACKs (SQLITE_CONSTRAINT_COMMITHOOK), except on the connection `spared` (a test's
// own). So a COMMIT fails after every statement before it succeeded, as on a full disk or an
// I/O error, without either.
struct FailingCommits {
  static inline std::atomic<int> pending{0};
  static inline std::atomic<sqlite3*> spared{nullptr};

  static int hook(void* db) {
    if (static_cast<sqlite3*>(db) == spared.load()) return 0;
    for (int left = pending.load(); left > 0;) {
      if (pending.compare_exchange_weak(left, left - 1)) return 1;
    }
    return 0;
  }
  static int install(sqlite3* db, char**, const sqlite3_api_routines*) {
    sqlite3_commit_hook(db, &FailingCommits::hook, db);
    return SQLITE_OK;
  }
  using Entry = void (*)();

  FailingCommits() { sqlite3_auto_extension(reinterpret_cast<Entry>(&FailingCommits::install)); }
  ~FailingCommits() {
    sqlite3_cancel_auto_extension(reinterpret_cast<Entry>(&FailingCommits::install));
    pending = 0;
    spared = nullptr;
  }
};

}  // namespace egov::test
