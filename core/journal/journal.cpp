// What every journal backend shares: the names of states as stored, and the clock.
#include "core/journal/journal.hpp"

namespace egov::core {

std::string_view entryStateName(EntryState state) {
  switch (state) {
    case EntryState::queued:
      return "queued";
    case EntryState::delivering:
      return "delivering";
    case EntryState::delivered:
      return "delivered";
    case EntryState::dead:
      return "dead";
    case EntryState::discarded:
      return "discarded";
  }
  return "queued";
}

std::optional<EntryState> entryStateFromName(std::string_view name) {
  for (auto s : {EntryState::queued, EntryState::delivering, EntryState::delivered,
                 EntryState::dead, EntryState::discarded}) {
    if (entryStateName(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view batchStateName(BatchState state) {
  switch (state) {
    case BatchState::running:
      return "running";
    case BatchState::done:
      return "done";
    case BatchState::failed:
      return "failed";
  }
  return "running";
}

std::optional<BatchState> batchStateFromName(std::string_view name) {
  for (auto s : {BatchState::running, BatchState::done, BatchState::failed}) {
    if (batchStateName(s) == name) return s;
  }
  return std::nullopt;
}

EpochMs nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace egov::core
