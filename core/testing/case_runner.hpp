// Runs the cases of core/testing/case_file.hpp. A route case loads its config with every
// endpoint replaced by a MockEndpoint (a temporary bus.yaml naming the real profiles,
// mappings, schemas and lookup tables, and one tenant: the real tenant file, or one made up
// for the case), compiles the routes with the real route compiler, runs the service's route
// with the real route runner as the REST API would (request-reply to the end; one-way: the
// steps before `enqueue`, then the delivery's, with no journal) and compares. No socket is
// opened: every endpoint type is mocked.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/engine/endpoint.hpp"
#include "core/testing/case_file.hpp"

namespace egov::core::testing {

struct CaseOutcome {
  bool passed = false;
  std::string report;  // why it failed: sections with diffs, each line indented
};

CaseOutcome runRouteCase(const RouteCase& route_case, const AdapterRegistry& adapters);

// Stylesheets compiled once per `egovbus test` run.
using StylesheetCache = std::map<std::filesystem::path, std::shared_ptr<const XsltMapping>>;
CaseOutcome runMappingCase(const MappingCase& mapping_case, StylesheetCache& cache);

}  // namespace egov::core::testing
