#include "core/testing/case_file.hpp"

#include <algorithm>
#include <cctype>

#include "core/json/json_xml.hpp"
#include "core/testing/compare.hpp"

namespace egov::core::testing {
namespace {

std::string whereOf(const ConfigNode& node) {
  return node.file() + ":" + std::to_string(node.line());
}

std::optional<ErrorKind> errorKind(const ConfigNode& node, std::string_view key) {
  auto name = node.requiredString(key);
  constexpr std::string_view kPrefix = "urn:egovbus:problem:";
  if (name.starts_with(kPrefix)) name.erase(0, kPrefix.size());
  if (name.empty()) return std::nullopt;
  auto kind = errorKindFromName(name);
  if (!kind)
    node.errorAt(key, "unknown error kind " + name + " (e.g. not-found, backend-rejected)");
  return kind;
}

// `json:` is YAML data; `xml:` is text that must parse.
std::optional<std::string> jsonOf(const ConfigNode& node, std::string_view key) {
  if (!node.has(key)) return std::nullopt;
  return yamlToJson(node[key].yaml());
}

std::optional<std::string> xmlOf(const ConfigNode& node, std::string_view key) {
  if (!node.has(key)) return std::nullopt;
  auto text = node.requiredString(key);
  if (auto parsed = parseXml(text, {}, "xml"); !parsed) {
    node.errorAt(key, "not XML: " + parsed.error().message);
    return std::nullopt;
  }
  return text;
}

void oneOf(const ConfigNode& node, std::initializer_list<std::string_view> keys) {
  int given = 0;
  std::string names;
  for (auto key : keys) {
    given += node.has(key);
    names += (names.empty() ? "" : ", ") + std::string(key);
  }
  if (given > 1) node.error("give only one of " + names);
}

MockReply parseMock(const ConfigNode& node, const std::string& endpoint) {
  MockReply reply;
  reply.where = whereOf(node);
  if (!node.expectMap()) return reply;
  node.allowKeys({"json", "xml", "error", "detail", "status"});
  oneOf(node, {"json", "xml", "error"});
  if (auto json = jsonOf(node, "json")) {
    if (auto doc = jsonToXml(*json); doc) {
      reply.body = serializeXml(**doc);
    } else {
      node.errorAt("json", doc.error().message);
    }
  } else if (auto xml = xmlOf(node, "xml")) {
    reply.body = *xml;
  } else if (node.has("error")) {
    if (auto kind = errorKind(node, "error")) {
      // The message an adapter would give: "<endpoint>: <detail>".
      const auto detail =
          node.optionalString("detail", "mocked " + std::string(errorKindName(*kind)));
      reply.error = Error{*kind, endpoint + ": " + detail,
                          static_cast<int>(node.integer("status", 0, 0, 599))};
    }
  } else if (!node.has("xml")) {
    node.error("a mocked reply needs json, xml or error");
  }
  if (!node.has("error") && (node.has("detail") || node.has("status"))) {
    node.error("detail and status belong to a mocked error");
  }
  return reply;
}

// A map whose values are one item or a list of them, by endpoint key.
template <class T, class Parse>
std::map<std::string, std::vector<T>> perEndpoint(const ConfigNode& node, Parse parse) {
  std::map<std::string, std::vector<T>> out;
  if (!node.valid() || !node.expectMap()) return out;
  for (const auto& [key, value] : node.entries()) {
    auto& list = out[key];
    if (value.isSequence()) {
      for (const auto& item : value.items()) list.push_back(parse(item, key));
    } else {
      list.push_back(parse(value, key));
    }
  }
  return out;
}

ExpectedRequest parseExpectedRequest(const ConfigNode& node, const std::string&) {
  ExpectedRequest request;
  request.where = whereOf(node);
  if (!node.valid()) return request;  // `- {}` or `- ~`: the call happens, its body unchecked
  if (!node.expectMap()) return request;
  node.allowKeys({"json", "xml"});
  oneOf(node, {"json", "xml"});
  request.json = jsonOf(node, "json");
  request.xml = xmlOf(node, "xml");
  return request;
}

Expectation parseExpectation(const ConfigNode& node) {
  Expectation expect;
  expect.where = whereOf(node);
  if (!node.expectMap()) return expect;
  node.allowKeys({"status", "json", "xml", "error", "detail"});
  oneOf(node, {"json", "xml", "error"});
  if (node.has("status")) expect.status = static_cast<int>(node.integer("status", 200, 100, 599));
  expect.json = jsonOf(node, "json");
  expect.xml = xmlOf(node, "xml");
  if (node.has("error")) expect.error = errorKind(node, "error");
  expect.detail = node.optionalString("detail");
  if (!node.has("error") && node.has("detail"))
    node.errorAt("detail", "detail belongs to an error");
  if (!node.has("error") && !node.has("status") && !node.has("json") && !node.has("xml")) {
    node.error("expect a reply (status, json or xml) or an error");
  }
  return expect;
}

void parseInput(const ConfigNode& node, RouteCase& route) {
  if (!node.valid()) return;
  if (!node.expectMap()) return;
  node.allowKeys({"method", "query", "headers", "json", "xml", "citizen"});
  oneOf(node, {"json", "xml"});
  route.method = node.optionalString("method");
  if (auto query = node["query"]; query.valid() && query.expectMap()) {
    for (const auto& [key, value] : query.entries()) {
      if (value.isSequence()) {
        for (const auto& item : value.items()) route.query.emplace_back(key, item.asString());
      } else {
        route.query.emplace_back(key, value.asString());
      }
    }
  }
  if (auto headers = node["headers"]; headers.valid() && headers.expectMap()) {
    for (const auto& [key, value] : headers.entries()) {
      std::string name = key;
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      route.headers[name] = value.asString();
    }
  }
  route.body_json = jsonOf(node, "json");
  route.body_xml = xmlOf(node, "xml");
  if (auto citizen = node["citizen"];
      citizen.valid() && citizen.allowKeys({"fiscal_code", "spid_level"})) {
    route.identity.citizen_fiscal_code = citizen.requiredString("fiscal_code");
    route.identity.spid_level = static_cast<int>(citizen.integer("spid_level", 2, 1, 3));
  }
}

// The file-level and case-level `config`, `profile`, `tenant`.
struct Defaults {
  std::filesystem::path config;
  std::string profile;
  std::string tenant;
  std::optional<SyntheticTenant> synthetic;
};

void readDefaults(const ConfigNode& node, const std::filesystem::path& folder, Defaults& d) {
  if (node.has("config")) {
    d.config = (folder / node.requiredString("config")).lexically_normal();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(d.config, ec)) {
      node.errorAt("config", "no such file: " + d.config.string());
    }
  }
  if (node.has("profile")) d.profile = node.requiredString("profile");
  if (auto tenant = node["tenant"]; tenant.valid()) {
    if (tenant.isScalar()) {
      d.tenant = tenant.asString();
      d.synthetic.reset();
    } else if (tenant.allowKeys({"istat", "slug", "name", "fiscal_code", "params"})) {
      SyntheticTenant synthetic;
      synthetic.istat = tenant.optionalString("istat", synthetic.istat);
      synthetic.slug = tenant.optionalString("slug", synthetic.slug);
      synthetic.name = tenant.optionalString("name", synthetic.name);
      synthetic.fiscal_code = tenant.optionalString("fiscal_code");
      if (auto params = tenant["params"]; params.valid() && params.expectMap()) {
        for (const auto& [key, value] : params.entries())
          synthetic.params.emplace_back(key, value.asString());
      }
      d.synthetic = std::move(synthetic);
      d.tenant.clear();
    }
  }
}

RouteCase parseRouteCase(const ConfigNode& node, const std::filesystem::path& folder,
                         Defaults defaults) {
  RouteCase route;
  route.where = whereOf(node);
  node.allowKeys({"name", "config", "profile", "tenant", "service", "exchange_id", "input", "mocks",
                  "requests", "expect"});
  route.name = node.requiredString("name");
  readDefaults(node, folder, defaults);
  route.config = defaults.config;
  route.profile = defaults.profile;
  route.tenant = defaults.tenant;
  route.synthetic = defaults.synthetic;
  if (route.config.empty()) node.errorAt("config", "missing key (here or at the top of the file)");
  if (route.tenant.empty() && !route.synthetic) {
    node.errorAt("tenant",
                 "missing key (a tenant of the config, or { params: ... } for a made-up one)");
  }
  if (route.synthetic && route.profile.empty()) {
    node.errorAt("profile", "a made-up tenant needs the profile whose routes it runs");
  }
  route.service = node.requiredString("service");
  route.exchange_id = node.optionalString("exchange_id", route.exchange_id);
  parseInput(node["input"], route);
  route.mocks = perEndpoint<MockReply>(node["mocks"], parseMock);
  route.requests = perEndpoint<ExpectedRequest>(node["requests"], parseExpectedRequest);
  if (!node.has("expect")) {
    node.errorAt("expect", "missing key");
  } else {
    route.expect = parseExpectation(node["expect"]);
  }
  return route;
}

MappingCase parseMappingCase(const ConfigNode& node, const std::filesystem::path& folder,
                             const Defaults& defaults) {
  MappingCase mapping;
  mapping.where = whereOf(node);
  node.allowKeys({"name", "stylesheet", "params", "input", "expected", "error"});
  mapping.name = node.requiredString("name");
  mapping.stylesheet = (folder / node.requiredString("stylesheet")).lexically_normal();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(mapping.stylesheet, ec)) {
    node.errorAt("stylesheet", "no such file: " + mapping.stylesheet.string());
  }
  if (auto params = node["params"]; params.valid() && params.expectMap()) {
    for (const auto& [key, value] : params.entries())
      mapping.params.emplace_back(key, value.asString());
  }
  mapping.input = node.requiredString("input");
  if (node.has("expected")) mapping.expected = node.requiredString("expected");
  if (node.has("error")) mapping.error = node.requiredString("error");
  if (mapping.expected.has_value() == mapping.error.has_value()) {
    node.error("a mapping case needs either expected or error");
  }
  mapping.config = defaults.config;
  return mapping;
}

}  // namespace

CaseFile loadCaseFile(const std::filesystem::path& file, ConfigErrors& errors) {
  CaseFile out;
  out.file = file;
  auto root = ConfigNode::loadFile(file.string(), &errors);
  if (!root.valid()) {
    if (errors.empty()) errors.add(file.string(), "empty case file");
    return out;
  }
  if (!root.expectMap()) return out;
  root.allowKeys({"description", "config", "profile", "tenant", "cases"});
  const auto folder = file.parent_path();
  Defaults defaults;
  readDefaults(root, folder, defaults);
  auto cases = root["cases"];
  if (!cases.valid()) {
    root.errorAt("cases", "missing key");
    return out;
  }
  if (!cases.isSequence()) {
    cases.error("expected a list of cases");
    return out;
  }
  for (const auto& node : cases.items()) {
    if (!node.expectMap()) continue;
    if (node.has("stylesheet")) {
      out.mappings.push_back(parseMappingCase(node, folder, defaults));
    } else if (node.has("service")) {
      out.routes.push_back(parseRouteCase(node, folder, defaults));
    } else {
      node.error("a case names a service (route case) or a stylesheet (mapping case)");
    }
  }
  return out;
}

std::vector<std::filesystem::path> findCaseFiles(const std::filesystem::path& path) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return {path};
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const auto name = it->path().filename().string();
    if (it->is_directory() && (name.starts_with('.') || name == "node_modules")) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    const auto& p = it->path();
    const bool yaml = p.extension() == ".yaml" || p.extension() == ".yml";
    if (p.filename() == "cases.yaml" || (yaml && p.parent_path().filename() == "cases")) {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace egov::core::testing
