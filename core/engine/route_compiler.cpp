#include "core/engine/route_compiler.hpp"

#include <libxml/xmlerror.h>

#include "core/engine/generation.hpp"

namespace egov::core {
namespace {

// "profiles/demo-rest.yaml:8": relative to bus.yaml's folder, because step places reach
// callers in problem details, and absolute server paths are nobody's business.
std::string whereOf(const ConfigNode& node, const BusConfig& bus) {
  auto file = std::filesystem::path(node.file()).lexically_relative(bus.file.parent_path());
  if (file.empty() || *file.begin() == "..") file = std::filesystem::path(node.file()).filename();
  return file.string() + ":" + std::to_string(node.line());
}

const std::set<std::string> kMethods = {"GET", "POST", "PUT", "DELETE"};

void ignoreXPathError(void*, xmlError*) {}

// Compiles an XPath with libxml2's errors silenced: they are reported as config errors.
XPathPtr compileXPath(const std::string& text) {
  xmlSetStructuredErrorFunc(nullptr, ignoreXPathError);
  XPathPtr expr(xmlXPathCompile(reinterpret_cast<const xmlChar*>(text.c_str())));
  xmlSetStructuredErrorFunc(nullptr, nullptr);
  return expr;
}

}  // namespace

RetryOverride parseRetrySettings(const ConfigNode& node) {
  RetryOverride retry;
  if (!node.expectMap()) return retry;
  node.allowKeys({"attempts", "backoff", "max_backoff", "max_age"});  // and read the known ones
  if (node.has("attempts"))
    retry.max_attempts = static_cast<int>(node.integer("attempts", 1, 1, 1000));
  if (node.has("backoff")) retry.backoff = node.duration("backoff", {});
  if (node.has("max_backoff")) retry.max_backoff = node.duration("max_backoff", {});
  if (node.has("max_age")) retry.max_age = node.duration("max_age", {});
  if (retry.backoff && retry.max_backoff && *retry.backoff > *retry.max_backoff) {
    node.errorAt("max_backoff", "shorter than backoff");
  }
  return retry;
}

std::optional<Route> RouteCompiler::compileRoute(const ConfigNode& node) const {
  const auto before = node.errors().size();
  if (!node.expectMap()) return std::nullopt;
  node.allowKeys({"service", "methods", "deadline", "description", "mode", "delivery", "order_key",
                  "require", "steps"});
  Route route;
  route.where = whereOf(node, bus_);
  route.service = node.requiredString("service");
  if (!route.service.empty()) {
    for (char c : route.service) {
      if (!(std::islower(static_cast<unsigned char>(c)) ||
            std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) {
        node.errorAt("service",
                     "service names use a-z, 0-9, '.', '-', '_' (e.g. tributi.posizioni)");
        break;
      }
    }
  }
  for (const auto& method : node.stringList("methods")) {
    if (!kMethods.contains(method)) {
      node.errorAt("methods", "unknown method " + method + " (GET, POST, PUT, DELETE)");
    }
    route.methods.insert(method);
  }
  route.deadline = node.duration("deadline", bus_.default_deadline);
  if (!node.has("steps")) {
    node.errorAt("steps", "missing key");
  } else {
    compileTopLevel(node["steps"], route);
  }
  const auto mode = node.optionalString("mode", "request-reply");
  if (mode == "one-way") {
    if (!route.enqueue_at) route.enqueue_at = 0;
  } else if (mode != "request-reply") {
    node.errorAt("mode", "expected request-reply or one-way");
  } else if (node.has("mode") && route.enqueue_at) {
    node.errorAt("mode", "a route with an enqueue step is one-way");
  }
  if (auto delivery = node["delivery"]; delivery.valid()) {
    route.delivery = route.delivery.overriddenBy(parseRetrySettings(delivery));
    if (!route.enqueue_at) node.errorAt("delivery", "only one-way routes are delivered later");
  }
  if (node.has("order_key")) {
    route.order_key_text = node.requiredString("order_key");
    route.order_key = compileXPath(route.order_key_text);
    if (!route.order_key_text.empty() && !route.order_key) {
      node.errorAt("order_key", "invalid XPath: " + route.order_key_text);
    }
    if (!route.enqueue_at) node.errorAt("order_key", "only one-way routes are delivered in order");
  }
  if (auto require = node["require"]; require.valid()) route.require = compileRequire(require);
  if (node.errors().size() != before) return std::nullopt;
  return route;
}

std::optional<CitizenRequirement> RouteCompiler::compileRequire(const ConfigNode& node) const {
  if (!node.expectMap()) return std::nullopt;
  node.allowKeys({"spid_level", "self_only"});
  if (!bus_.spid) {
    node.error("a route can require a citizen only when bus.yaml has a spid section");
  }
  CitizenRequirement require;
  require.spid_level = static_cast<int>(node.integer("spid_level", require.spid_level, 1, 3));
  if (node.has("self_only")) {
    require.self_only = node.requiredString("self_only");
    require.self_only_expr = compileXPath(require.self_only);
    if (!require.self_only.empty() && !require.self_only_expr) {
      node.errorAt("self_only", "invalid XPath: " + require.self_only);
    }
  }
  return require;
}

void RouteCompiler::compileTopLevel(const ConfigNode& list, Route& route) const {
  // `enqueue` is a hand-off point, not an action: only the route's own list may hold it,
  // once, and it is kept as an index instead of a step.
  Steps steps;
  if (!list.isSequence()) {
    list.error("expected a list of steps");
    return;
  }
  for (const auto& item : list.items()) {
    if (item.isMap() && item.has("enqueue")) {
      auto value = item["enqueue"];
      if (item.entries().size() != 1 || !(value.isMap() && value.entries().empty())) {
        item.error("write the hand-off as `- enqueue: {}`");
      } else if (route.enqueue_at) {
        item.error("a route has at most one enqueue step");
      } else {
        route.enqueue_at = steps.size();
      }
      continue;
    }
    if (auto step = compileStep(item)) steps.push_back(std::move(*step));
  }
  if (list.items().empty()) list.error("a route needs at least one step");
  route.steps = std::move(steps);
}

Steps RouteCompiler::compileSteps(const ConfigNode& list) const {
  Steps steps;
  if (!list.isSequence()) {
    list.error("expected a list of steps");
    return steps;
  }
  if (list.items().empty()) list.error("a route needs at least one step");
  for (const auto& item : list.items()) {
    if (auto step = compileStep(item)) steps.push_back(std::move(*step));
  }
  return steps;
}

std::optional<Step> RouteCompiler::compileStep(const ConfigNode& node) const {
  if (!node.isMap() || node.entries().size() != 1) {
    node.error("a step is a map with one key: validate, map, call, choose or reply");
    return std::nullopt;
  }
  auto [kind, value] = node.entries().front();
  if (kind == "map") return compileMap(value);
  if (kind == "validate") return compileValidate(value);
  if (kind == "call") return compileCall(value);
  if (kind == "choose") return compileChoose(value);
  if (kind == "reply") return compileReply(value);
  if (kind == "enqueue") {
    node.errorAt(kind, "enqueue belongs in the route's own step list, not inside choose");
    return std::nullopt;
  }
  node.errorAt(kind, "unknown step (validate, map, call, choose, reply, enqueue)");
  return std::nullopt;
}

namespace {

// Compiles a stylesheet or schema once per generation; a failure is remembered too, so that
// every step naming the file reports the same error without compiling it again.
template <class T, class Load>
std::shared_ptr<const T> compileOnce(
    const ConfigNode& at, const std::filesystem::path& path,
    std::map<std::filesystem::path, std::shared_ptr<const T>>& done,
    std::map<std::filesystem::path, std::string>& failures, const char* what, const char* failure,
    Load load) {
  if (auto it = done.find(path); it != done.end()) return it->second;
  if (!failures.contains(path)) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      failures[path] = std::string(what) + " not found: " + path.string();
    } else if (auto loaded = load(path); loaded.ok()) {
      return done[path] = std::move(loaded).value();
    } else {
      failures[path] = std::string(what) + " " + failure + ": " + loaded.error().message;
    }
  }
  at.error(failures[path]);
  return nullptr;
}

}  // namespace

std::shared_ptr<const XsltMapping> RouteCompiler::mapping(const ConfigNode& at,
                                                          const std::string& name) const {
  return compileOnce(at, (bus_.mappings_dir / name).lexically_normal(), cache_.mappings,
                     cache_.failures, "mapping", "does not compile", XsltMapping::compile);
}

std::shared_ptr<const XsdSchema> RouteCompiler::schema(const ConfigNode& at,
                                                       const std::string& name) const {
  return compileOnce(at, (bus_.schemas_dir / name).lexically_normal(), cache_.schemas,
                     cache_.failures, "schema", "does not load", XsdSchema::load);
}

std::optional<Step> RouteCompiler::compileMap(const ConfigNode& value) const {
  MapStep step{nullptr, tenant_.params};
  std::string name;
  if (value.isScalar()) {
    name = value.asString();
  } else if (value.allowKeys({"stylesheet", "params"})) {
    name = value.requiredString("stylesheet");
    if (auto params = value["params"]; params.valid() && params.expectMap()) {
      for (const auto& [key, param] : params.entries()) {
        std::erase_if(step.params,
                      [&param_name = key](const auto& p) { return p.first == param_name; });
        step.params.emplace_back(key, param.asString());
      }
    }
  }
  if (name.empty()) return std::nullopt;
  step.mapping = mapping(value, name);
  if (!step.mapping) return std::nullopt;
  return Step{std::move(step), whereOf(value, bus_)};
}

std::optional<Step> RouteCompiler::compileValidate(const ConfigNode& value) const {
  auto name = value.asString();
  if (name.empty()) return std::nullopt;
  auto compiled = schema(value, name);
  if (!compiled) return std::nullopt;
  return Step{ValidateStep{std::move(compiled)}, whereOf(value, bus_)};
}

std::optional<Step> RouteCompiler::compileCall(const ConfigNode& value) const {
  auto key = value.asString();
  if (key.empty()) return std::nullopt;
  auto it = tenant_.endpoints.find(key);
  if (it == tenant_.endpoints.end()) {
    value.error("endpoint " + key + " is not defined by tenant " + tenant_.slug + " (" +
                tenant_.file.string() + ")");
    return std::nullopt;
  }
  if (!it->second) return std::nullopt;  // its own config error was reported already
  auto limits = tenant_.endpoint_limits.find(key);
  return Step{CallStep{key, it->second, guards_.guard(it->second->name()),
                       limits == tenant_.endpoint_limits.end() ? GuardSettings{} : limits->second},
              whereOf(value, bus_)};
}

std::optional<Step> RouteCompiler::compileChoose(const ConfigNode& value) const {
  if (!value.isSequence() || value.items().empty()) {
    value.error("expected a list of {when, steps} and an optional {otherwise}");
    return std::nullopt;
  }
  ChooseStep choose;
  bool ok = true;
  for (const auto& branch : value.items()) {
    if (branch.has("otherwise")) {
      branch.allowKeys({"otherwise"});
      choose.otherwise = compileSteps(branch["otherwise"]);
      continue;
    }
    if (!branch.allowKeys({"when", "steps"})) {
      ok = false;
      continue;
    }
    ChooseStep::When when;
    when.test = branch.requiredString("when");
    when.expr = compileXPath(when.test);
    if (!when.test.empty() && !when.expr) {
      branch.errorAt("when", "invalid XPath: " + when.test);
      ok = false;
    }
    if (!branch.has("steps")) {
      branch.errorAt("steps", "missing key");
      ok = false;
    } else {
      when.steps = compileSteps(branch["steps"]);
    }
    choose.whens.push_back(std::move(when));
  }
  if (!ok) return std::nullopt;
  return Step{std::move(choose), whereOf(value, bus_)};
}

std::optional<Step> RouteCompiler::compileReply(const ConfigNode& value) const {
  if (!value.allowKeys({"status", "error", "detail"})) return std::nullopt;
  ReplyStep reply;
  reply.status = static_cast<int>(value.integer("status", 200, 200, 599));
  if (value.has("error")) {
    auto name = value.requiredString("error");
    reply.error = errorKindFromName(name);
    if (!reply.error) value.errorAt("error", "unknown error kind " + name);
  }
  reply.detail = value.optionalString("detail");
  return Step{std::move(reply), whereOf(value, bus_)};
}

}  // namespace egov::core
