// What the commands reading the journal beside a running bus share (`egovbus dlq`,
// `egovbus batches`): opening the journal bus.yaml names, and running one operation to
// completion from plain blocking code.
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/config/bus_config.hpp"
#include "core/config/config_node.hpp"
#include "core/journal/open_journal.hpp"

namespace egov::core {

// Runs one journal operation to completion on a private io_context.
template <class T>
Result<T> waitFor(awaitable<Result<T>> operation) {
  net::io_context io;
  std::optional<Result<T>> result;
  net::co_spawn(
      io, [&]() -> awaitable<void> { result.emplace(co_await std::move(operation)); },
      net::detached);
  io.run();
  if (!result) return makeError(ErrorKind::internal, "journal operation did not complete");
  return std::move(*result);
}

// The journal of `config_file` (SQLite WAL allows reading beside the bus; PostgreSQL is
// shared), or null after printing why to stderr (config errors with file:line).
inline std::unique_ptr<Journal> openJournalBeside(const std::string& config_file) {
  ConfigErrors errors;
  auto root = ConfigNode::loadFile(config_file, &errors);
  BusConfig bus;
  if (root.valid()) bus = parseBusConfig(root, std::filesystem::absolute(config_file));
  if (!errors.empty()) {
    std::fputs(errors.str().c_str(), stderr);
    return nullptr;
  }
  auto journal = openJournal(bus.journal);
  if (!journal) {
    std::fprintf(stderr, "egovbus: %s\n", journal.error().message.c_str());
    return nullptr;
  }
  return std::move(journal).value();
}

}  // namespace egov::core
