#include "core/journal/open_journal.hpp"

#include "core/journal/pg_journal.hpp"
#include "core/journal/sqlite_journal.hpp"

namespace egov::core {

Result<std::unique_ptr<Journal>> openJournal(const JournalConfig& config) {
  if (config.driver == JournalConfig::Driver::postgresql) {
    auto journal = PgJournal::open(PgJournalOptions{config.dsn, config.connections});
    if (!journal) return std::move(journal).error();
    return std::unique_ptr<Journal>(std::move(journal).value());
  }
  auto journal = SqliteJournal::open(config.path);
  if (!journal) return std::move(journal).error();
  return std::unique_ptr<Journal>(std::move(journal).value());
}

}  // namespace egov::core
