// egovbus dlq list|show|replay|discard: dead letters from the command line. Opens the
// journal bus.yaml names beside a running bus (SQLite WAL allows it; PostgreSQL is shared).
#include <cstdio>
#include <optional>

#include "core/cli/commands.hpp"
#include "core/cli/journal_beside.hpp"
#include "core/log/log.hpp"

namespace egov::core {
namespace {

void printEntry(const JournalEntry& e, bool with_body) {
  std::printf("%s  %s/%s  %s  attempts=%d  error=%s\n", e.id.c_str(), e.tenant_slug.c_str(),
              e.tenant_istat.c_str(), e.service.c_str(), e.attempts,
              maskFiscalCodes(e.last_error).c_str());
  if (with_body) std::printf("%s\n", maskFiscalCodes(e.body).c_str());
}

}  // namespace

int dlqCommand(const DlqOptions& options) {
  auto journal = openJournalBeside(options.config);
  if (!journal) return 1;
  if (options.action == "list" || options.action == "show") {
    auto dead = waitFor(journal->listDead(options.action == "list" ? options.tenant : "", 100000));
    if (!dead) {
      std::fprintf(stderr, "egovbus: %s\n", dead.error().message.c_str());
      return 1;
    }
    bool found = false;
    for (const auto& entry : *dead) {
      if (options.action == "show" && entry.id != options.id) continue;
      printEntry(entry, options.action == "show");
      found = true;
    }
    if (options.action == "show" && !found) {
      std::fprintf(stderr, "egovbus: no dead letter %s\n", options.id.c_str());
      return 1;
    }
    if (options.action == "list")
      std::printf("%zu dead letter%s\n", dead->size(), dead->size() == 1 ? "" : "s");
    return 0;
  }
  if (options.reason.empty()) {
    std::fprintf(stderr, "egovbus: dlq %s needs --reason TEXT (it is recorded)\n",
                 options.action.c_str());
    return 2;
  }
  auto done =
      waitFor(journal->resolveDead({options.id, options.action, options.by, options.reason}));
  if (!done) {
    std::fprintf(stderr, "egovbus: %s\n", done.error().message.c_str());
    return 1;
  }
  std::printf("%s: %s\n", options.id.c_str(),
              options.action == "replay" ? "queued again" : "discarded");
  return 0;
}

}  // namespace egov::core
