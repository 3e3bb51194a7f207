// A journal storage for tests, on either backend: a SQLite file in a temporary folder, or a
// fresh schema of the shared test PostgreSQL server (tests/support/postgres_server.hpp).
// open() may be called again to reopen the same storage (as after a restart), or while
// another journal is open on it (as a second bus instance on one PostgreSQL).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/journal/journal.hpp"

namespace egov::test {

// An entry of tenant 072006 (bari), service welfare.domanda, with a small body in the JSON
// representation. Inside a coroutine, name the entry before co_await-ing enqueue(): g++ 12
// copies a temporary of the co_await expression bitwise, and its short strings then dangle.
core::JournalEntry journalEntry(std::string id, std::string key = {}, std::string order_key = {});

// The lease token of the latest claim of entry `id` of tenant 072006, as find() reports it
// (fails the test when there is no such entry).
std::int64_t leaseToken(core::Journal& journal, const std::string& id);

enum class JournalBackend { sqlite, postgresql };
inline const std::vector<JournalBackend> kJournalBackends = {JournalBackend::sqlite,
                                                             JournalBackend::postgresql};
const char* journalBackendName(JournalBackend backend);

class JournalStore {
 public:
  // Throws std::runtime_error when the PostgreSQL server cannot start.
  explicit JournalStore(JournalBackend backend);
  ~JournalStore();

  JournalBackend backend() const { return backend_; }
  core::Result<std::unique_ptr<core::Journal>> tryOpen() const;
  std::unique_ptr<core::Journal> open() const;  // fails the test when it cannot
  // Runs SQL on the storage directly (bypassing the journal) and returns the first column
  // of the first row ("" when no row).
  std::string sql(const std::string& statement) const;
  // The bus.yaml `journal:` settings that name this storage.
  std::string yamlSettings() const;

 private:
  JournalBackend backend_;
  std::filesystem::path folder_;  // sqlite
  std::string schema_;            // postgresql
  std::string dsn_;
};

}  // namespace egov::test
