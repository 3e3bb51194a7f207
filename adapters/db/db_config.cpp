#include "adapters/db/db_config.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>

#include <libpq-fe.h>
#include <libxml/xmlerror.h>

#include "adapters/db/sql_placeholders.hpp"

namespace egov::adapters::db {
namespace {

constexpr std::int64_t kMaxPool = 256;

struct ConninfoDeleter {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};
struct PqStringDeleter {
  void operator()(char* text) const { PQfreemem(text); }
};

void ignoreXPathError(void*, xmlError*) {}

// Compiles with libxml2's error output silenced: a failure is reported as a config error.
core::XPathPtr compileXPath(const std::string& text) {
  xmlSetStructuredErrorFunc(nullptr, ignoreXPathError);
  core::XPathPtr expr(xmlXPathCompile(reinterpret_cast<const xmlChar*>(text.c_str())));
  xmlSetStructuredErrorFunc(nullptr, nullptr);
  return expr;
}

// The XPath written at `node` (its text into `text`), compiled; null after reporting why not.
core::XPathPtr readXPath(const core::ConfigNode& node, std::string& text) {
  text = node.asString();
  if (text.empty()) {
    if (node.isScalar()) node.error("expected an XPath expression");
    return nullptr;
  }
  auto expr = compileXPath(text);
  if (!expr) node.error("invalid XPath: " + text);
  return expr;
}

bool isName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool isStatementName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

void checkPositive(const core::ConfigNode& settings, std::string_view key,
                   std::chrono::milliseconds value) {
  if (value.count() <= 0) settings.errorAt(key, "must be greater than 0");
}

void readSqliteTarget(const core::ConfigNode& settings, DbConfig& config) {
  if (settings.has("dsn"))
    settings.errorAt("dsn", "dsn is for driver postgresql; sqlite uses path");
  config.path = settings.requiredString("path");
  if (!config.path.empty()) {
    std::filesystem::path path(config.path);
    if (path.is_relative()) path = std::filesystem::path(settings.file()).parent_path() / path;
    config.path = path.lexically_normal().string();
  }
  const std::string mode = settings.optionalString("mode", "rw");
  if (mode == "ro") {
    config.read_only = true;
  } else if (mode != "rw") {
    settings.errorAt("mode", "expected ro or rw");
  }
}

void readPostgresTarget(const core::ConfigNode& settings, DbConfig& config) {
  for (auto key : {"path", "mode"}) {
    if (settings.has(key)) settings.errorAt(key, std::string(key) + " is for driver sqlite");
  }
  config.dsn = settings.requiredString("dsn");
  if (config.dsn.empty()) return;
  char* raw_message = nullptr;
  std::unique_ptr<PQconninfoOption, ConninfoDeleter> options(
      PQconninfoParse(config.dsn.c_str(), &raw_message));
  std::unique_ptr<char, PqStringDeleter> message(raw_message);
  // libpq's message may quote part of the string, which may hold the password.
  if (!options) settings.errorAt("dsn", "not a valid libpq connection string or URI");
}

void readParams(const core::ConfigNode& node, const TranslatedSql& translated,
                DbStatement& statement) {
  std::vector<std::pair<std::string, core::ConfigNode>> entries;
  if (node.has("params") && node["params"].expectMap()) entries = node["params"].entries();
  for (const auto& [name, xpath_node] : entries) {
    if (std::find(translated.names.begin(), translated.names.end(), name) ==
        translated.names.end()) {
      xpath_node.error("param " + name + " is not used in sql (no :" + name + ")");
    }
  }
  for (const auto& name : translated.names) {
    auto entry = std::find_if(entries.begin(), entries.end(),
                              [&](const auto& e) { return e.first == name; });
    if (entry == entries.end()) {
      node.errorAt(node.has("params") ? "params" : "sql",
                   "placeholder :" + name + " has no entry in params");
      continue;
    }
    DbParam param{name, "", nullptr};
    param.expr = readXPath(entry->second, param.xpath);
    param.child_element = positionalChild(param.xpath);
    if (param.expr) statement.params.push_back(std::move(param));
  }
}

void readStatements(const core::ConfigNode& settings, DbConfig& config) {
  if (!settings.has("statements")) {
    settings.errorAt("statements", "missing key");
    return;
  }
  const auto statements = settings["statements"];
  if (!statements.expectMap()) return;
  const auto style =
      config.driver == DbDriverType::sqlite ? PlaceholderStyle::sqlite : PlaceholderStyle::postgres;
  for (const auto& [name, node] : statements.entries()) {
    if (!isStatementName(name)) {
      node.error("statement names use letters, digits, '_', '-', '.'");
      continue;
    }
    if (!node.allowKeys({"sql", "params", "for_each"})) continue;
    DbStatement statement;
    statement.name = name;
    statement.sql = node.requiredString("sql");
    if (statement.sql.empty()) {
      if (node.has("sql") && node["sql"].isScalar()) node.errorAt("sql", "empty SQL");
      continue;
    }
    auto translated = translatePlaceholders(statement.sql, style);
    if (!translated.error.empty()) {
      node.errorAt("sql", translated.error);
      continue;
    }
    for (const auto& placeholder : translated.names) {
      if (!isName(placeholder)) node.errorAt("sql", "invalid placeholder :" + placeholder);
    }
    statement.driver_sql = translated.sql;
    if (node.has("for_each")) {
      statement.for_each = readXPath(node["for_each"], statement.for_each_xpath);
      if (!statement.for_each) continue;
    }
    readParams(node, translated, statement);
    config.statements.push_back(std::move(statement));
  }
  if (statements.entries().empty()) statements.error("at least one statement is needed");
}

}  // namespace

int positionalChild(std::string_view xpath) {
  std::size_t at = 0;
  const auto blanks = [&] {
    while (at < xpath.size() &&
           (xpath[at] == ' ' || xpath[at] == '\t' || xpath[at] == '\n' || xpath[at] == '\r')) {
      ++at;
    }
  };
  const auto take = [&](char c) {
    blanks();
    if (at >= xpath.size() || xpath[at] != c) return false;
    ++at;
    return true;
  };
  if (!take('*') || !take('[')) return 0;
  blanks();
  if (at >= xpath.size() || xpath[at] < '1' || xpath[at] > '9') return 0;
  int n = 0;
  for (int digits = 0; at < xpath.size() && xpath[at] >= '0' && xpath[at] <= '9'; ++digits) {
    if (digits == 6) return 0;
    n = n * 10 + (xpath[at++] - '0');
  }
  if (!take(']')) return 0;
  blanks();
  return at == xpath.size() ? n : 0;
}

const DbStatement* DbConfig::find(std::string_view name) const {
  for (const auto& statement : statements) {
    if (statement.name == name) return &statement;
  }
  return nullptr;
}

std::string_view driverName(DbDriverType driver) {
  return driver == DbDriverType::sqlite ? "sqlite" : "postgresql";
}

std::optional<DbConfig> parseDbConfig(const core::ConfigNode& settings) {
  const std::size_t errors_before = settings.errors().size();
  settings.allowKeys({"type", "driver", "path", "mode", "dsn", "pool", "connect_timeout",
                      "statement_timeout", "statements"});
  if (!settings.isMap()) return std::nullopt;

  DbConfig config;
  const std::string driver = settings.requiredString("driver");
  if (driver == "sqlite") {
    config.driver = DbDriverType::sqlite;
    readSqliteTarget(settings, config);
  } else if (driver == "postgresql") {
    config.driver = DbDriverType::postgresql;
    readPostgresTarget(settings, config);
  } else {
    if (!driver.empty())
      settings.errorAt("driver", "unknown driver " + driver + " (sqlite, postgresql)");
    return std::nullopt;  // everything else depends on the driver
  }

  if (settings.has("pool")) {
    const auto pool = settings["pool"];
    if (pool.allowKeys({"max"})) {
      config.pool_max = static_cast<std::size_t>(
          pool.integer("max", static_cast<std::int64_t>(config.pool_max), 1, kMaxPool));
    }
  }
  config.connect_timeout = settings.duration("connect_timeout", config.connect_timeout);
  checkPositive(settings, "connect_timeout", config.connect_timeout);
  config.statement_timeout = settings.duration("statement_timeout", config.statement_timeout);
  checkPositive(settings, "statement_timeout", config.statement_timeout);
  readStatements(settings, config);

  if (settings.errors().size() != errors_before) return std::nullopt;
  return config;
}

}  // namespace egov::adapters::db
