#include "core/engine/generation.hpp"

#include <algorithm>
#include <regex>

#include "core/engine/route_compiler.hpp"

namespace egov::core {

const Tenant* Generation::findTenant(std::string_view istat_or_slug) const {
  auto it = by_key_.find(istat_or_slug);
  return it == by_key_.end() ? nullptr : it->second;
}

const Route* Generation::findRoute(const Tenant& tenant, std::string_view service) {
  auto it = tenant.routes.find(service);
  return it == tenant.routes.end() ? nullptr : &it->second;
}

bool InboundPath::matches(std::string_view path, std::string& tenant_key) const {
  std::size_t i = 0;
  if (!path.starts_with('/')) return false;
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    auto segment = path.substr(0, slash);
    if (i == segments.size()) return false;
    if (segments[i] == "{tenant}") {
      if (segment.empty()) return false;
      tenant_key = std::string(segment);
    } else if (segments[i] != segment) {
      return false;
    }
    ++i;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return i == segments.size();
}

const InboundPath* Generation::findInbound(std::string_view path, std::string& tenant_key) const {
  for (const auto& entry : inbound) {
    if (entry.matches(path, tenant_key)) return &entry;
  }
  return nullptr;
}

void Generation::index() {
  by_key_.clear();
  for (const auto& tenant : tenants) {
    by_key_[tenant->istat] = tenant.get();
    by_key_[tenant->slug] = tenant.get();
  }
}

namespace {

struct Profile {
  std::string name;
  ConfigNode routes;
  ConfigNode endpoints;  // defaults each tenant's endpoint of the same key is merged over
};

// *.yaml files of a folder, sorted so that errors come out in a stable order.
std::vector<std::filesystem::path> yamlFiles(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::map<std::string, Profile> loadProfiles(const BusConfig& bus, ConfigErrors& errors) {
  std::map<std::string, Profile> profiles;
  for (const auto& file : yamlFiles(bus.profiles_dir)) {
    auto root = ConfigNode::loadFile(file.string(), &errors);
    if (!root.valid()) continue;
    root.allowKeys({"description", "routes", "endpoints"});
    if (!root.has("routes")) root.errorAt("routes", "missing key");
    auto endpoints = root["endpoints"];
    if (endpoints.valid() && endpoints.expectMap()) {
      for (const auto& [key, settings] : endpoints.entries()) settings.expectMap();
    }
    profiles.emplace(file.stem().string(),
                     Profile{file.stem().string(), root["routes"], endpoints});
  }
  return profiles;
}

}  // namespace

LookupTables loadLookupTables(const BusConfig& bus) {
  std::map<std::string, LookupTable, std::less<>> tables;
  for (const auto& spec : bus.tables) {
    auto table = LookupTable::loadCsv(
        spec.file, CsvTableSpec{spec.key_column, spec.value_column, spec.delimiter});
    if (!table) {
      spec.where.error(table.error().message);
      continue;
    }
    tables.emplace(spec.name, std::move(table).value());
  }
  return LookupTables(std::move(tables));
}

namespace {

constexpr std::string_view kFiscalCodePlaceholder = "PLACEHOLDER";

void parseTenantHeader(const ConfigNode& header, Tenant& tenant) {
  if (!header.allowKeys({"istat", "slug", "name", "fiscal_code"})) return;
  static const std::regex kIstat("[0-9]{6}");
  static const std::regex kSlug("[a-z0-9]+(-[a-z0-9]+)*");
  static const std::regex kFiscalCode("[0-9]{11}");
  tenant.istat = header.requiredString("istat");
  tenant.slug = header.requiredString("slug");
  tenant.name = header.requiredString("name");
  tenant.fiscal_code = header.optionalString("fiscal_code");
  if (tenant.fiscal_code == kFiscalCodePlaceholder) {
    // Never invented: a tenant whose code is not known from a public source says so, and
    // serves everything except what needs the code (pagoPA).
    tenant.fiscal_code.clear();
    tenant.fiscal_code_placeholder = true;
    header.warningAt("fiscal_code",
                     "placeholder: the municipality's 11-digit fiscal code (pagoPA idPA) is "
                     "still to be verified from a public source");
  }
  if (!tenant.istat.empty() && !std::regex_match(tenant.istat, kIstat)) {
    header.errorAt("istat", "expected the 6-digit ISTAT code, e.g. \"072006\" (quoted)");
  }
  if (!tenant.slug.empty() && !std::regex_match(tenant.slug, kSlug)) {
    header.errorAt("slug", "expected lower-case letters, digits and dashes");
  }
  if (!tenant.fiscal_code.empty() && !std::regex_match(tenant.fiscal_code, kFiscalCode)) {
    header.errorAt("fiscal_code", "expected the 11-digit fiscal code of the municipality");
  }
}

class TenantLoader {
 public:
  TenantLoader(const BusConfig& bus, const std::map<std::string, Profile>& profiles,
               const AdapterRegistry& adapters, RuntimeServices& runtime, CompileCache& cache)
      : bus_(bus), profiles_(profiles), adapters_(adapters), runtime_(runtime), cache_(cache) {}

  std::unique_ptr<Tenant> load(const std::filesystem::path& file, ConfigErrors& errors) const {
    auto root = ConfigNode::loadFile(file.string(), &errors);
    if (!root.valid()) return nullptr;
    if (!root.expectMap()) return nullptr;
    root.allowKeys(
        {"tenant", "profile", "endpoints", "params", "routes", "rate_limit", "pagopa", "sources"});
    auto tenant = std::make_unique<Tenant>();
    tenant->file = file;
    if (!root.has("tenant")) {
      root.errorAt("tenant", "missing key");
      return nullptr;
    }
    parseTenantHeader(root["tenant"], *tenant);
    if (auto rate = root["rate_limit"]; rate.valid() && rate.allowKeys({"per_second", "burst"})) {
      tenant->rate_limit.rate = static_cast<double>(rate.integer("per_second", 0, 1, 1000000));
      tenant->rate_limit.burst = static_cast<double>(rate.integer(
          "burst", static_cast<std::int64_t>(std::max(1.0, tenant->rate_limit.rate)), 1, 1000000));
      if (!rate.has("per_second")) rate.errorAt("per_second", "missing key");
    }
    tenant->guard = guards().guard("tenant:" + tenant->istat);
    loadParams(root["params"], *tenant);
    if (root.has("pagopa")) tenant->pagopa = root["pagopa"].yaml();

    const Profile* profile = nullptr;
    tenant->profile = root.optionalString("profile");
    if (!tenant->profile.empty()) {
      auto it = profiles_.find(tenant->profile);
      if (it == profiles_.end()) {
        root.errorAt("profile", "unknown profile " + tenant->profile + " (no " +
                                    (bus_.profiles_dir / (tenant->profile + ".yaml")).string() +
                                    ")");
      } else {
        profile = &it->second;
      }
    }
    loadEndpoints(root["endpoints"], profile, *tenant);

    RouteCompiler compiler(bus_, *tenant, cache_, guards());
    if (profile) addRoutes(compiler, profile->routes, *tenant, /*overrides=*/false);
    // A tenant's own routes replace the profile's route for the same service.
    if (root.has("routes")) addRoutes(compiler, root["routes"], *tenant, /*overrides=*/true);
    loadSources(root["sources"], *tenant);
    return tenant;
  }

 private:
  void loadParams(const ConfigNode& params, Tenant& tenant) const {
    if (!params.valid() || !params.expectMap()) return;
    for (const auto& [key, value] : params.entries())
      tenant.params.emplace_back(key, value.asString());
  }

  // The tenant's endpoints, each merged over the profile's defaults for its key; a profile
  // endpoint the tenant does not mention is used as the profile declares it.
  void loadEndpoints(const ConfigNode& own, const Profile* profile, Tenant& tenant) const {
    if (own.valid() && !own.expectMap()) return;
    std::vector<std::pair<std::string, ConfigNode>> endpoints;
    if (profile && profile->endpoints.isMap()) {
      for (const auto& [key, defaults] : profile->endpoints.entries()) {
        const ConfigNode mine = own[key];
        if (!defaults.isMap() || (mine.valid() && !mine.expectMap())) continue;
        endpoints.emplace_back(key, ConfigNode::merged(defaults, mine));
      }
    }
    for (const auto& [key, settings] : own.entries()) {
      if (!(profile && profile->endpoints.has(key))) endpoints.emplace_back(key, settings);
    }
    for (const auto& [key, settings] : endpoints) {
      if (!settings.expectMap()) continue;
      auto type = settings.requiredString("type");
      const auto* factory = adapters_.find(type);
      if (!factory) {
        if (!type.empty()) {
          std::string known;
          for (const auto& t : adapters_.types()) known += (known.empty() ? "" : ", ") + t;
          settings.errorAt("type", "unknown adapter " + type + " (known: " + known + ")");
        }
        tenant.endpoints[key] = nullptr;
        continue;
      }
      tenant.endpoint_limits[key] = parseGuardSettings(settings);
      // `retry` is read by the delivery worker, like the limits by the guard: the core
      // owns retries, so adapters never see it.
      if (auto retry = settings["retry"]; retry.valid())
        tenant.endpoint_retry[key] = parseRetrySettings(retry);
      auto core_keys = guardKeys();
      core_keys.push_back("retry");
      tenant.endpoints[key] = (*factory)(EndpointContext{
          tenant.slug + "/" + key, settings.withSharedKeys(std::move(core_keys)), runtime_});
    }
  }

  // `sources:` key -> { type, service, ...adapter settings }, after the routes they feed.
  void loadSources(const ConfigNode& sources, Tenant& tenant) const {
    if (!sources.valid() || !sources.expectMap()) return;
    for (const auto& [key, settings] : sources.entries()) {
      if (!settings.expectMap()) continue;
      const auto type = settings.requiredString("type");
      const auto service = settings.requiredString("service");
      if (!service.empty() && !Generation::findRoute(tenant, service)) {
        settings.errorAt("service", "tenant " + tenant.slug + " has no route for " + service);
      }
      const auto* factory = adapters_.findSource(type);
      if (!factory) {
        if (!type.empty()) {
          std::string known;
          for (const auto& t : adapters_.sourceTypes()) known += (known.empty() ? "" : ", ") + t;
          settings.errorAt("type", "unknown source type " + type + " (known: " + known + ")");
        }
        continue;
      }
      auto source =
          (*factory)(SourceContext{tenant.slug + "/" + key, service,
                                   settings.withSharedKeys({"type", "service"}), runtime_, tenant});
      if (source) tenant.sources[key] = std::move(source);
    }
  }

  void addRoutes(const RouteCompiler& compiler, const ConfigNode& routes, Tenant& tenant,
                 bool overrides) const {
    if (!routes.isSequence()) {
      routes.error("expected a list of routes");
      return;
    }
    std::set<std::string> seen;
    for (const auto& node : routes.items()) {
      auto route = compiler.compileRoute(node);
      if (!route) continue;
      if (!seen.insert(route->service).second) {
        node.errorAt("service", "route for " + route->service + " defined twice");
        continue;
      }
      if (overrides) tenant.routes.erase(route->service);
      tenant.routes.emplace(route->service, std::move(*route));
    }
  }

  GuardRegistry& guards() const {
    return *runtime_.shared<GuardRegistry>(
        [this] { return std::make_shared<GuardRegistry>(runtime_.metrics()); });
  }

  const BusConfig& bus_;
  const std::map<std::string, Profile>& profiles_;
  const AdapterRegistry& adapters_;
  RuntimeServices& runtime_;
  CompileCache& cache_;
};

// Paths the unified API keeps for itself.
bool reservedPath(std::string_view path) {
  return path == "/healthz" || path == "/readyz" || path == "/metrics" || path == "/api" ||
         path.starts_with("/api/") || path == "/admin" || path.starts_with("/admin/") ||
         path == "/console" || path.starts_with("/console/");
}

// bus.yaml `inbound:` — name → { type, path, ...adapter settings }.
void loadInbound(const ConfigNode& inbound, const AdapterRegistry& adapters,
                 RuntimeServices& runtime, Generation& generation) {
  if (!inbound.valid() || !inbound.expectMap()) return;
  static const std::regex kSegment("[A-Za-z0-9._~-]+|\\{tenant\\}");
  for (const auto& [name, settings] : inbound.entries()) {
    if (!settings.expectMap()) continue;
    const auto type = settings.requiredString("type");
    const auto path = settings.requiredString("path");
    InboundPath entry;
    entry.text = path;
    const auto auth = settings.optionalString("auth", "api-key");
    if (auto mode = inboundAuthFromName(auth)) {
      entry.auth = *mode;
    } else {
      settings.errorAt("auth", "expected api-key, mtls or none");
    }
    bool path_ok = !path.empty();
    if (path_ok && (!path.starts_with('/') || path.size() == 1 || path.ends_with('/'))) {
      settings.errorAt("path", "expected an absolute path such as /soap/{tenant}/tributi");
      path_ok = false;
    }
    int tenant_segments = 0;
    for (std::size_t start = 1; path_ok && start <= path.size();) {
      auto slash = path.find('/', start);
      auto segment =
          path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      if (!std::regex_match(segment, kSegment)) {
        settings.errorAt("path", "segment \"" + segment +
                                     "\" must be letters, digits, '.', '_', '~', '-' or {tenant}");
        path_ok = false;
      }
      tenant_segments += segment == "{tenant}";
      entry.segments.push_back(segment);
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (path_ok && tenant_segments > 1) {
      settings.errorAt("path", "at most one {tenant} segment");
      path_ok = false;
    }
    if (path_ok && reservedPath(path)) {
      settings.errorAt("path",
                       path + " belongs to the unified API (/api/, /admin/, /console, /healthz, /readyz, "
                              "/metrics)");
      path_ok = false;
    }
    for (const auto& other : generation.inbound) {
      if (path_ok && other.text == path) {
        settings.errorAt("path", path + " is already served by inbound." + other.handler->name());
        path_ok = false;
      }
    }
    const auto* factory = adapters.findInbound(type);
    if (!factory) {
      if (!type.empty()) {
        std::string known;
        for (const auto& t : adapters.inboundTypes()) known += (known.empty() ? "" : ", ") + t;
        settings.errorAt("type", "unknown inbound type " + type + " (known: " + known + ")");
      }
      continue;
    }
    auto handler = (*factory)(InboundContext{
        name, settings.withSharedKeys({"type", "path", "auth"}), runtime, generation});
    if (handler && path_ok) {
      entry.handler = std::move(handler);
      generation.inbound.push_back(std::move(entry));
    }
  }
}

void checkUnique(const std::vector<std::unique_ptr<Tenant>>& tenants, ConfigErrors& errors) {
  std::map<std::string, const Tenant*> istat, slug;
  for (const auto& tenant : tenants) {
    if (auto [it, fresh] = istat.emplace(tenant->istat, tenant.get()); !fresh) {
      errors.add(tenant->file.string(), "tenant.istat: duplicate tenant " + tenant->istat +
                                            " (also in " + it->second->file.string() + ")");
    }
    if (auto [it, fresh] = slug.emplace(tenant->slug, tenant.get()); !fresh) {
      errors.add(tenant->file.string(), "tenant.slug: duplicate slug " + tenant->slug +
                                            " (also in " + it->second->file.string() + ")");
    }
  }
}

}  // namespace

std::shared_ptr<const Generation> loadGeneration(const std::filesystem::path& bus_file,
                                                 const AdapterRegistry& adapters,
                                                 RuntimeServices& runtime, ConfigErrors& errors,
                                                 std::uint64_t number) {
  auto root = ConfigNode::loadFile(bus_file.string(), &errors);
  if (!root.valid()) {
    if (errors.empty()) errors.add(bus_file.string(), "empty config");
    return nullptr;
  }
  auto generation = std::make_shared<Generation>();
  generation->number = number;
  generation->bus = parseBusConfig(root, std::filesystem::absolute(bus_file));
  if (!errors.empty()) return nullptr;  // paths are unusable; the rest would only add noise

  if (auto spid = root["spid"]; spid.valid()) {
    if (const auto& factory = adapters.spidVerifierFactory()) {
      generation->spid = factory(spid, generation->bus.file.parent_path());
    } else {
      root.errorAt("spid", "this build has no SPID support");
    }
  }
  generation->tables = loadLookupTables(generation->bus);
  auto profiles = loadProfiles(generation->bus, errors);
  CompileCache cache;
  TenantLoader loader(generation->bus, profiles, adapters, runtime, cache);
  for (const auto& file : yamlFiles(generation->bus.tenants_dir)) {
    if (auto tenant = loader.load(file, errors)) generation->tenants.push_back(std::move(tenant));
  }
  if (generation->tenants.empty() && errors.empty()) {
    errors.add(generation->bus.tenants_dir.string(), "no tenant files (*.yaml)");
  }
  checkUnique(generation->tenants, errors);
  if (!errors.empty()) return nullptr;
  generation->index();
  generation->credentials =
      loadCredentials(root["clients"], generation->bus, *generation, runtime, errors);
  loadInbound(root["inbound"], adapters, runtime, *generation);
  if (!errors.empty()) return nullptr;
  return generation;
}

}  // namespace egov::core
