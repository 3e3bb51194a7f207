#include "core/config/bus_config.hpp"

#include <algorithm>
#include <charconv>

#include "core/security/scope.hpp"

namespace egov::core {

bool splitHostPort(const std::string& address, std::string& host, unsigned short& port) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const char* begin = address.data() + colon + 1;
  const char* end = address.data() + address.size();
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || value > 65535 || begin == end) return false;
  port = static_cast<unsigned short>(value);
  return true;
}

namespace {

std::filesystem::path resolveDir(const ConfigNode& paths, std::string_view key,
                                 const std::string& fallback, const std::filesystem::path& base) {
  std::filesystem::path dir = paths.valid() ? paths.optionalString(key, fallback) : fallback;
  if (dir.is_relative()) dir = base / dir;
  dir = dir.lexically_normal();
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    if (paths.has(key)) {
      paths.errorAt(key, "not a directory: " + dir.string());
    } else {
      paths.errors().add(ConfigError{paths.file(), 0, 0, "paths." + std::string(key),
                                     "not a directory: " + dir.string()});
    }
  }
  return dir;
}

void parseLimits(const ConfigNode& node, Limits& limits) {
  if (!node.valid()) return;
  node.allowKeys({"max_body", "max_header", "max_headers", "read_timeout", "idle_timeout",
                  "drain_timeout", "json_depth", "xml_depth"});
  limits.max_body_bytes = node.bytes("max_body", limits.max_body_bytes);
  limits.max_header_bytes = node.bytes("max_header", limits.max_header_bytes);
  limits.max_headers = static_cast<std::size_t>(
      node.integer("max_headers", static_cast<std::int64_t>(limits.max_headers), 1, 10000));
  limits.read_timeout = node.duration("read_timeout", limits.read_timeout);
  limits.idle_timeout = node.duration("idle_timeout", limits.idle_timeout);
  limits.drain_timeout = node.duration("drain_timeout", limits.drain_timeout);
  limits.json_depth = static_cast<unsigned>(node.integer("json_depth", limits.json_depth, 1, 512));
  limits.xml_depth = static_cast<unsigned>(node.integer("xml_depth", limits.xml_depth, 1, 256));
}

void parseTables(const ConfigNode& node, const std::filesystem::path& base,
                 std::vector<TableSpec>& tables) {
  if (!node.valid() || !node.expectMap()) return;
  for (const auto& [name, table] : node.entries()) {
    table.allowKeys({"file", "key", "value", "delimiter"});
    TableSpec spec{name,
                   table.requiredString("file"),
                   table.requiredString("key"),
                   table.optionalString("value", "value"),
                   ',',
                   table};
    if (spec.file.is_relative()) spec.file = (base / spec.file).lexically_normal();
    auto delimiter = table.optionalString("delimiter", ",");
    if (delimiter == "\\t" || delimiter == "tab") delimiter = "\t";
    if (delimiter != "," && delimiter != ";" && delimiter != "\t") {
      table.errorAt("delimiter", "expected \",\", \";\" or tab");
    }
    spec.delimiter = delimiter.empty() ? ',' : delimiter[0];
    tables.push_back(std::move(spec));
  }
}

void parseJournal(const ConfigNode& node, const std::filesystem::path& base,
                  JournalConfig& journal) {
  std::filesystem::path path = "../var/journal.db";
  if (node.valid() && node.allowKeys({"driver", "path", "dsn", "connections", "idempotency_window",
                                      "poll_interval", "lease", "deliveries"})) {
    const auto driver = node.optionalString("driver", "sqlite");
    if (driver == "postgresql") {
      journal.driver = JournalConfig::Driver::postgresql;
      journal.dsn = node.requiredString("dsn");
      journal.connections =
          static_cast<int>(node.integer("connections", journal.connections, 1, 64));
      if (node.has("path")) node.errorAt("path", "a postgresql journal has a dsn, not a path");
    } else if (driver == "sqlite") {
      path = node.optionalString("path", path.string());
      if (node.has("dsn")) node.errorAt("dsn", "a sqlite journal has a path, not a dsn");
      if (node.has("connections"))
        node.errorAt("connections", "only a postgresql journal has connections");
    } else {
      node.errorAt("driver", "expected sqlite or postgresql");
    }
    journal.idempotency_window = node.duration("idempotency_window", journal.idempotency_window);
    journal.poll_interval = node.duration("poll_interval", journal.poll_interval);
    journal.lease = node.duration("lease", journal.lease);
    journal.deliveries = static_cast<int>(node.integer("deliveries", journal.deliveries, 1, 1024));
  }
  journal.path = (path.is_relative() ? base / path : path).lexically_normal();
}

std::filesystem::path relativeTo(const std::filesystem::path& base, const std::string& path) {
  std::filesystem::path p = path;
  return (p.is_relative() ? base / p : p).lexically_normal();
}

void parseTls(const ConfigNode& node, const std::filesystem::path& base, TlsConfig& tls) {
  if (!node.valid() ||
      !node.allowKeys({"cert", "key", "client_ca", "require_client_cert", "min_version"})) {
    return;
  }
  tls.enabled = true;
  tls.cert = relativeTo(base, node.requiredString("cert"));
  tls.key = relativeTo(base, node.requiredString("key"));
  if (node.has("client_ca")) tls.client_ca = relativeTo(base, node.requiredString("client_ca"));
  tls.require_client_cert = node.boolean("require_client_cert", true);
  tls.min_version = node.optionalString("min_version", "1.2");
  if (tls.min_version != "1.2" && tls.min_version != "1.3") {
    node.errorAt("min_version", "expected \"1.2\" or \"1.3\" (older TLS versions are refused)");
  }
  for (const auto* key : {"cert", "key", "client_ca"}) {
    if (!node.has(key)) continue;
    std::error_code ec;
    const auto file = relativeTo(base, node.requiredString(key));
    if (!std::filesystem::is_regular_file(file, ec))
      node.errorAt(key, "no such file: " + file.string());
  }
}

void parseAuth(const ConfigNode& node, const std::filesystem::path& base, AuthConfig& auth) {
  std::string keys = "../var/keys.db";
  if (node.valid() && node.allowKeys({"keys", "client_rate_limit"})) {
    keys = node.optionalString("keys", keys);
    if (auto rate = node["client_rate_limit"]; rate.valid() && rate.expectMap()) {
      rate.allowKeys({"per_second", "burst"});
      auth.client_rate = static_cast<double>(rate.integer("per_second", 0, 1, 1000000));
      auth.client_burst = static_cast<double>(rate.integer(
          "burst", static_cast<std::int64_t>(std::max(1.0, auth.client_rate)), 1, 1000000));
      if (!rate.has("per_second")) rate.errorAt("per_second", "missing key");
    }
  }
  auth.keys = relativeTo(base, keys);
}

void parseAudit(const ConfigNode& node, const std::filesystem::path& base, AuditConfig& audit) {
  std::string path = "../var/audit.db";
  if (node.valid() &&
      node.allowKeys({"enabled", "path", "retention", "pseudonym_key", "services"})) {
    audit.enabled = node.boolean("enabled", true);
    path = node.optionalString("path", path);
    audit.retention = node.duration("retention", audit.retention);
    audit.pseudonym_key = node.optionalString("pseudonym_key");
    if (node.has("pseudonym_key") && audit.pseudonym_key.size() < 16) {
      node.errorAt("pseudonym_key", "expected at least 16 bytes (a ${env:} or ${file:} reference)");
    }
    audit.services = node.stringList("services");
    for (const auto& service : audit.services) {
      if (!isServicePattern(service)) {
        node.errorAt("services", "\"" + service + "\" is not a service name or pattern");
      }
    }
  }
  audit.path = relativeTo(base, path);
}

}  // namespace

BusConfig parseBusConfig(const ConfigNode& root, const std::filesystem::path& file) {
  BusConfig bus;
  bus.file = file;
  const auto base = file.parent_path();
  // `spid` is read by the spid adapter's factory (loadGeneration); routes only need to know
  // whether it is there.
  if (!root.allowKeys({"listen", "threads", "limits", "routes", "paths", "tables", "journal",
                       "inbound", "spid", "auth", "clients", "audit"})) {
    return bus;
  }
  bus.spid = root.has("spid");

  // listen: "HOST:PORT", or { address: "HOST:PORT", tls: {...} }
  if (auto listen = root["listen"]; listen.valid() && listen.isMap()) {
    listen.allowKeys({"address", "tls"});
    bus.listen = listen.optionalString("address", bus.listen);
    parseTls(listen["tls"], base, bus.tls);
  } else {
    bus.listen = root.optionalString("listen", bus.listen);
  }
  std::string host;
  unsigned short port = 0;
  if (!splitHostPort(bus.listen, host, port)) root.errorAt("listen", "expected HOST:PORT");

  if (auto threads = root["threads"]; threads.valid() && threads.allowKeys({"io", "workers"})) {
    bus.io_threads = static_cast<int>(threads.integer("io", bus.io_threads, 1, 256));
    bus.worker_threads = static_cast<int>(threads.integer("workers", bus.worker_threads, 1, 1024));
  }
  parseLimits(root["limits"], bus.limits);
  if (auto routes = root["routes"]; routes.valid() && routes.allowKeys({"default_deadline"})) {
    bus.default_deadline = routes.duration("default_deadline", bus.default_deadline);
  }
  auto paths = root["paths"];
  if (paths.valid()) paths.allowKeys({"tenants", "profiles", "mappings", "schemas"});
  bus.tenants_dir = resolveDir(paths, "tenants", "tenants", base);
  bus.profiles_dir = resolveDir(paths, "profiles", "profiles", base);
  bus.mappings_dir = resolveDir(paths, "mappings", "../mappings", base);
  bus.schemas_dir = resolveDir(paths, "schemas", "../schemas", base);
  parseTables(root["tables"], base, bus.tables);
  parseJournal(root["journal"], base, bus.journal);
  parseAuth(root["auth"], base, bus.auth);
  parseAudit(root["audit"], base, bus.audit);
  return bus;
}

}  // namespace egov::core
