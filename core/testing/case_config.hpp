// The configuration one route case runs on, written into a temporary folder: a bus.yaml
// naming the real config's profiles, mappings, schemas and lookup tables (absolute paths),
// and a tenants folder holding one tenant: a link to the real tenant file, or a file made up
// from the case's `tenant: { ... }` (with an endpoint of its own for every key the profile's
// routes call and do not declare). Control plane of `egovbus test` only.
#pragma once

#include <stdlib.h>  // mkdtemp

#include <filesystem>
#include <string>

#include "core/config/bus_config.hpp"
#include "core/testing/case_file.hpp"

namespace egov::core::testing {

// A folder of its own under $TMPDIR, removed with this object.
class TempFolder {
 public:
  TempFolder() {
    auto pattern = (std::filesystem::temp_directory_path() / "egovbus-test-XXXXXX").string();
    if (mkdtemp(pattern.data())) path_ = pattern;
  }
  ~TempFolder() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct CaseConfigFiles {
  std::filesystem::path bus_file;
  std::string tenant_key;                  // slug or ISTAT code of the case's tenant
  std::filesystem::path real_tenant_file;  // empty for a made-up tenant
};

// Errors (a tenant not found, a profile that does not read) as ErrorKind::internal.
Result<CaseConfigFiles> writeCaseConfig(const RouteCase& route_case, const BusConfig& bus,
                                        const std::filesystem::path& folder);

}  // namespace egov::core::testing
