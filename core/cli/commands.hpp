// The egovbus command line: serve, check, map. Each returns the process exit code.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "core/engine/endpoint.hpp"

namespace egov::core {

struct ServeOptions {
  std::string config = "conf/bus.yaml";
  std::string listen;  // overrides bus.yaml when set
};
int serveCommand(const ServeOptions& options, const AdapterRegistry& adapters);

// Loads the whole config; prints every error (exit 1) or a summary (exit 0); warnings (e.g. a
// placeholder fiscal code) are printed either way and do not change the exit code.
int checkCommand(const std::string& config, const AdapterRegistry& adapters);

// Prints the unified interface as OpenAPI 3.0 (YAML) from the loaded routes and the service
// catalogue (schemas/catalogue.yaml); exit 1 listing config or catalogue errors.
int openapiCommand(const std::string& config, const AdapterRegistry& adapters);

struct MapOptions {
  std::string stylesheet;
  std::string input;  // a .json or .xml file; "-" for standard input
  std::vector<std::pair<std::string, std::string>> params;
  std::string config;  // optional: lookup tables come from its `tables`
};
int mapCommand(const MapOptions& options);

struct DlqOptions {
  std::string config = "conf/bus.yaml";
  std::string action;  // list, show, replay, discard
  std::string id;      // show, replay, discard
  std::string tenant;  // list: only this tenant's (ISTAT code)
  std::string reason;  // replay, discard: recorded
  std::string by;      // who, recorded; defaults to $USER
};
int dlqCommand(const DlqOptions& options);

struct BatchesOptions {
  std::string config = "conf/bus.yaml";
  std::string tenant;  // ISTAT code; empty: every tenant
  bool watch = false;  // follow the running batches until none is left
  std::size_t limit = 20;
  std::chrono::milliseconds interval{1'000};
};
// egovbus batches [--watch]: batch files (CSV drops) with their progress, from the journal
// bus.yaml names. `terminal`: draw bars redrawn in place; otherwise one plain line per change.
int batchesCommand(const BatchesOptions& options, std::FILE* out, bool terminal);

struct KeyOptions {
  std::string config = "conf/bus.yaml";
  std::string action;                 // create, list, revoke
  std::string id;                     // revoke
  std::string client;                 // create
  std::vector<std::string> tenants;   // create: ISTAT codes, slugs or "*"
  std::vector<std::string> services;  // create: names or patterns
  bool admin = false;                 // create: an admin key
};
// egovbus key create|list|revoke: the key store named by bus.yaml auth.keys. `create`
// prints the new key once, alone on standard output.
int keyCommand(const KeyOptions& options, const AdapterRegistry& adapters);

// egovbus audit verify: checks the audit trail's hash chain; exit 0 when intact, 1 naming
// the first record that is not.
int auditCommand(const std::string& config, const std::string& action);

}  // namespace egov::core
