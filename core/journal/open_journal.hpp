// Opens the journal bus.yaml names (`journal.driver`): the command line's one place that
// knows both backends. Control plane: blocks while it connects and migrates.
#pragma once

#include <memory>

#include "core/config/bus_config.hpp"
#include "core/journal/journal.hpp"

namespace egov::core {

Result<std::unique_ptr<Journal>> openJournal(const JournalConfig& config);

}  // namespace egov::core
