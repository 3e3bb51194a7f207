#include "core/testing/case_config.hpp"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <set>

namespace egov::core::testing {
namespace {

bool writeFile(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

// Every `call:` value in a profile's routes (in choose branches too).
void collectCalls(const YAML::Node& node, std::set<std::string>& keys) {
  if (node.IsMap()) {
    for (const auto& entry : node) {
      if (entry.first.Scalar() == "call" && entry.second.IsScalar())
        keys.insert(entry.second.Scalar());
      collectCalls(entry.second, keys);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) collectCalls(item, keys);
  }
}

// The tenant file of `key` (slug or ISTAT code) in the config's tenants folder.
std::optional<std::filesystem::path> findTenantFile(const BusConfig& bus, const std::string& key) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(bus.tenants_dir, ec)) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    try {
      auto header = YAML::LoadFile(file.string())["tenant"];
      if (!header.IsMap()) continue;
      if ((header["slug"] && header["slug"].as<std::string>() == key) ||
          (header["istat"] && header["istat"].as<std::string>() == key)) {
        return file;
      }
    } catch (const YAML::Exception&) {
      // a broken tenant file is reported by the loader if it is the one asked for
    }
  }
  return std::nullopt;
}

// bus.yaml for the case: the real config's folders and tables, one tenant folder of its own.
std::string caseBusYaml(const BusConfig& bus, const std::filesystem::path& tenants) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "routes" << YAML::Value << YAML::BeginMap << YAML::Key << "default_deadline"
      << YAML::Value << (std::to_string(bus.default_deadline.count()) + "ms") << YAML::EndMap;
  out << YAML::Key << "paths" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "tenants" << YAML::Value << tenants.string();
  out << YAML::Key << "profiles" << YAML::Value << bus.profiles_dir.string();
  out << YAML::Key << "mappings" << YAML::Value << bus.mappings_dir.string();
  out << YAML::Key << "schemas" << YAML::Value << bus.schemas_dir.string();
  out << YAML::EndMap;
  if (!bus.tables.empty()) {
    out << YAML::Key << "tables" << YAML::Value << YAML::BeginMap;
    for (const auto& table : bus.tables) {
      out << YAML::Key << table.name << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "file" << YAML::Value << table.file.string();
      out << YAML::Key << "key" << YAML::Value << table.key_column;
      out << YAML::Key << "value" << YAML::Value << table.value_column;
      out << YAML::Key << "delimiter" << YAML::Value
          << (table.delimiter == '\t' ? std::string("tab") : std::string(1, table.delimiter));
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return out.c_str();
}

std::string syntheticTenantYaml(const SyntheticTenant& tenant, const std::string& profile,
                                const std::set<std::string>& own_endpoints) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "tenant" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "istat" << YAML::Value << YAML::DoubleQuoted << tenant.istat;
  out << YAML::Key << "slug" << YAML::Value << tenant.slug;
  out << YAML::Key << "name" << YAML::Value << tenant.name;
  if (!tenant.fiscal_code.empty())
    out << YAML::Key << "fiscal_code" << YAML::Value << YAML::DoubleQuoted << tenant.fiscal_code;
  out << YAML::EndMap;
  out << YAML::Key << "profile" << YAML::Value << profile;
  if (!own_endpoints.empty()) {
    // Keys the routes call that the profile does not declare: any type does, all are mocked.
    out << YAML::Key << "endpoints" << YAML::Value << YAML::BeginMap;
    for (const auto& key : own_endpoints) {
      out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "type"
          << YAML::Value << "memory" << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  if (!tenant.params.empty()) {
    out << YAML::Key << "params" << YAML::Value << YAML::BeginMap;
    for (const auto& [key, value] : tenant.params)
      out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return out.c_str();
}

}  // namespace

Result<CaseConfigFiles> writeCaseConfig(const RouteCase& route_case, const BusConfig& bus,
                                        const std::filesystem::path& folder) {
  const auto tenants = folder / "tenants";
  std::filesystem::create_directory(tenants);
  CaseConfigFiles files;
  files.tenant_key = route_case.tenant;
  if (route_case.synthetic) {
    const auto profile_file = bus.profiles_dir / (route_case.profile + ".yaml");
    std::set<std::string> calls, own;
    try {
      auto profile = YAML::LoadFile(profile_file.string());
      collectCalls(profile["routes"], calls);
      for (const auto& key : calls) {
        if (!(profile["endpoints"].IsMap() && profile["endpoints"][key])) own.insert(key);
      }
    } catch (const YAML::Exception& e) {
      return makeError(ErrorKind::internal, "profile " + route_case.profile + ": cannot read " +
                                                profile_file.string() + ": " + e.what());
    }
    files.tenant_key = route_case.synthetic->slug;
    writeFile(tenants / "tenant.yaml",
              syntheticTenantYaml(*route_case.synthetic, route_case.profile, own));
  } else {
    auto file = findTenantFile(bus, route_case.tenant);
    if (!file)
      return makeError(ErrorKind::internal,
                       "no tenant " + route_case.tenant + " in " + bus.tenants_dir.string());
    files.real_tenant_file = *file;
    std::error_code ec;
    std::filesystem::create_symlink(std::filesystem::absolute(*file), tenants / file->filename(),
                                    ec);
    if (ec)
      return makeError(ErrorKind::internal, "cannot link " + file->string() + ": " + ec.message());
  }
  files.bus_file = folder / "bus.yaml";
  if (!writeFile(files.bus_file, caseBusYaml(bus, tenants)))
    return makeError(ErrorKind::internal, "cannot write " + files.bus_file.string());
  return files;
}

}  // namespace egov::core::testing
