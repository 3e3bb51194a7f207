// `egovbus test [PATH...]`: runs the route and mapping cases of the case files under each
// PATH (default: conf/cases and mappings), with every endpoint mocked in process.
// Exit 0: every case passed; 1: a case failed (a diff says how); 2: a case file is malformed
// (file:line:col: key: message), or there is no case file.
#pragma once

#include <string>
#include <vector>

#include "core/engine/endpoint.hpp"

namespace egov::core {

int testCommand(const std::vector<std::string>& paths, const AdapterRegistry& adapters);

}  // namespace egov::core
