// A config generation: everything loaded from one reading of the config, built completely
// before it serves and then shared read-only (std::shared_ptr<const Generation>) by all
// threads. A reload builds a new one and swaps the pointer; exchanges in flight keep theirs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config/bus_config.hpp"
#include "core/engine/route.hpp"
#include "core/mapping/lookup_table.hpp"
#include "core/security/credentials.hpp"

namespace egov::core {

struct Tenant {
  std::string istat;                     // "072006"
  std::string slug;                      // "bari"
  std::string name;                      // "Bari"
  std::string fiscal_code;               // of the municipality (pagoPA idPA); empty when not known
  bool fiscal_code_placeholder = false;  // the file says PLACEHOLDER: still to be verified
  std::string profile;
  std::filesystem::path file;
  std::map<std::string, std::shared_ptr<Endpoint>> endpoints;  // by key in the tenant file
  std::map<std::string, GuardSettings> endpoint_limits;        // by the same key
  std::map<std::string, RetryOverride> endpoint_retry;         // by the same key, when set
  GuardSettings rate_limit;              // requests per second to this tenant's API
  std::shared_ptr<EndpointGuard> guard;  // enforces rate_limit across generations
  MappingParams params;
  std::map<std::string, Route, std::less<>> routes;        // by service
  std::map<std::string, std::shared_ptr<Source>> sources;  // `sources:`, by key
  // The tenant file's `pagopa:` section as written (undefined when absent), read and checked
  // by the pagopa inbound factory (adapters/pagopa), which reports its errors at this file.
  YAML::Node pagopa{YAML::NodeType::Undefined};
};

class Generation {
 public:
  BusConfig bus;
  std::uint64_t number = 0;
  LookupTables tables;
  std::vector<std::unique_ptr<Tenant>> tenants;
  std::shared_ptr<const SpidVerifier> spid;        // null when bus.yaml has no `spid` section
  std::vector<InboundPath> inbound;                // bus.yaml `inbound:`, in declaration order
  std::shared_ptr<const Credentials> credentials;  // clients and active keys; never null

  // The inbound handler serving `path`, with the `{tenant}` segment when it has one.
  const InboundPath* findInbound(std::string_view path, std::string& tenant_key) const;

  // By ISTAT code or slug; null when unknown.
  const Tenant* findTenant(std::string_view istat_or_slug) const;
  static const Route* findRoute(const Tenant& tenant, std::string_view service);

  // Indexes tenants; called once by the loader.
  void index();

 private:
  std::map<std::string, const Tenant*, std::less<>> by_key_;
};

// The lookup tables bus.yaml declares; errors are reported at each table's entry.
LookupTables loadLookupTables(const BusConfig& bus);

// Loads bus.yaml and everything it points to. On any error returns null and leaves every
// error (file:line:col: key.path: message) in `errors`.
std::shared_ptr<const Generation> loadGeneration(const std::filesystem::path& bus_file,
                                                 const AdapterRegistry& adapters,
                                                 RuntimeServices& runtime, ConfigErrors& errors,
                                                 std::uint64_t number = 1);

}  // namespace egov::core
