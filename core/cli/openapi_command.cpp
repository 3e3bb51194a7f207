// egovbus openapi: the unified REST interface as OpenAPI 3.0, built from the routes the config
// loads (which services exist, with which methods, request-reply or one-way) and from the
// service catalogue `{paths.schemas}/catalogue.yaml` (what each service's request and reply
// look like). schemas/openapi.yaml is this command's output for conf/bus.yaml; a test fails
// when the two drift apart.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include <yaml-cpp/yaml.h>

#include "core/cli/commands.hpp"
#include "core/engine/generation.hpp"
#include "core/metrics/metrics.hpp"
#include "core/net/asio.hpp"

namespace egov::core {
namespace {

// What the loaded routes say about one service, across every tenant.
struct ServiceUse {
  std::set<std::string> methods;
  bool request_reply = false;
  bool one_way = false;
  std::size_t tenants = 0;
};

std::map<std::string, ServiceUse> servicesOf(const Generation& generation) {
  static const std::set<std::string> kAnyMethod = {"DELETE", "GET", "POST", "PUT"};
  std::map<std::string, ServiceUse> services;
  for (const auto& tenant : generation.tenants) {
    for (const auto& [name, route] : tenant->routes) {
      auto& use = services[name];
      const auto& methods = route.methods.empty() ? kAnyMethod : route.methods;
      use.methods.insert(methods.begin(), methods.end());
      (route.enqueue_at ? use.one_way : use.request_reply) = true;
      ++use.tenants;
    }
  }
  return services;
}

YAML::Node problemResponse(const char* description) {
  YAML::Node response;
  response["description"] = description;
  response["content"]["application/problem+json"]["schema"]["$ref"] =
      "#/components/schemas/Problem";
  return response;
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// One operation of a service's path.
YAML::Node operation(const std::string& service, const std::string& method, const ServiceUse& use,
                     const ConfigNode& entry, std::size_t tenant_count) {
  YAML::Node op;
  op["operationId"] = service + "." + lower(method);
  op["tags"].push_back(service.substr(0, service.find('.')));
  op["summary"] = entry.optionalString("summary");
  std::string description = entry.optionalString("description");
  if (use.one_way && use.request_reply) {
    description +=
        (description.empty() ? "" : "\n\n") +
        std::string(
            "Request-reply (200) for some municipalities, one-way (202, delivered later) for "
            "others: see servizi.catalogo.");
  }
  if (use.tenants < tenant_count) {
    description += (description.empty() ? "" : "\n\n") + std::string("Offered by ") +
                   std::to_string(use.tenants) + " of " + std::to_string(tenant_count) +
                   " municipalities; the others answer 404.";
  }
  if (!description.empty()) op["description"] = description;
  const bool has_body = method == "POST" || method == "PUT";
  if (has_body && entry.has("request")) {
    YAML::Node body;
    body["required"] = true;
    body["content"]["application/json"]["schema"] = YAML::Clone(entry["request"].yaml());
    op["requestBody"] = body;
  } else if (!has_body && entry.has("parameters")) {
    op["parameters"] = YAML::Clone(entry["parameters"].yaml());
  }
  if (use.request_reply) {
    YAML::Node ok;
    ok["description"] = entry.optionalString("reply", "The canonical reply");
    if (entry.has("response")) {
      ok["content"]["application/json"]["schema"] = YAML::Clone(entry["response"].yaml());
    }
    op["responses"]["200"] = ok;
  }
  if (use.one_way) {
    YAML::Node accepted;
    accepted["description"] = "Journaled; delivered to the municipality later";
    accepted["headers"]["Location"]["schema"]["type"] = "string";
    accepted["content"]["application/json"]["schema"]["$ref"] = "#/components/schemas/Accepted";
    op["responses"]["202"] = accepted;
  }
  if (entry.has("errors") && entry["errors"].isMap()) {
    for (const auto& [status, text] : entry["errors"].entries()) {
      op["responses"][status] = problemResponse(text.asString().c_str());
    }
  }
  op["responses"]["400"] = problemResponse("Malformed or invalid request");
  op["responses"]["404"] = problemResponse("Unknown municipality, or no such resource");
  op["responses"]["502"] = problemResponse("The municipality's back-end failed or refused");
  op["responses"]["503"] = problemResponse("Saturated or draining; retry after Retry-After");
  op["responses"]["504"] = problemResponse("The route's deadline passed");
  return op;
}

// Emits `node` as block YAML: keys that look like numbers (status codes) quoted, as OpenAPI
// asks; flow-style maps and lists from the catalogue kept on one line; no anchors.
void emit(YAML::Emitter& out, const YAML::Node& node) {
  if (node.IsMap()) {
    if (node.Style() == YAML::EmitterStyle::Flow) out << YAML::Flow;
    out << YAML::BeginMap;
    for (const auto& kv : node) {
      const auto key = kv.first.Scalar();
      const bool numeric = !key.empty() && std::all_of(key.begin(), key.end(),
                                                       [](char c) { return c >= '0' && c <= '9'; });
      out << YAML::Key;
      if (numeric) out << YAML::DoubleQuoted;
      out << key << YAML::Value;
      emit(out, kv.second);
    }
    out << YAML::EndMap;
  } else if (node.IsSequence()) {
    if (node.Style() == YAML::EmitterStyle::Flow) out << YAML::Flow;
    out << YAML::BeginSeq;
    for (const auto& item : node) emit(out, item);
    out << YAML::EndSeq;
  } else {
    out << node;
  }
}

}  // namespace

int openapiCommand(const std::string& config, const AdapterRegistry& adapters) {
  net::thread_pool workers(1);
  Metrics metrics;
  RuntimeServices runtime(workers.get_executor(), metrics);
  ConfigErrors errors;
  auto generation = loadGeneration(config, adapters, runtime, errors);
  runtime.shutdown();
  if (!generation) {
    std::fputs(errors.str().c_str(), stderr);
    return 1;
  }
  const auto catalogue_file = generation->bus.schemas_dir / "catalogue.yaml";
  auto catalogue = ConfigNode::loadFile(catalogue_file.string(), &errors);
  if (catalogue.valid() && catalogue.allowKeys({"info", "services", "parameters", "schemas"})) {
    if (!catalogue["services"].isMap()) catalogue.errorAt("services", "expected a map");
  }
  const auto services = servicesOf(*generation);
  for (const auto& [name, use] : services) {
    if (!catalogue["services"].has(name)) {
      catalogue.errorAt("services", "service " + name + " has routes but no catalogue entry");
    }
  }
  for (const auto& [name, entry] : catalogue["services"].entries()) {
    entry.allowKeys(
        {"summary", "description", "parameters", "request", "reply", "response", "errors"});
    if (!services.contains(name)) entry.error("no route serves " + name);
  }
  if (!errors.empty()) {
    std::fputs(errors.str().c_str(), stderr);
    return 1;
  }

  YAML::Node doc;
  doc["openapi"] = "3.0.3";
  doc["info"] = YAML::Clone(catalogue["info"].yaml());
  doc["info"]["version"] = EGOV_VERSION;
  doc["servers"][0]["url"] = "/api/v1";
  YAML::Node tenant_param;
  tenant_param["name"] = "tenant";
  tenant_param["in"] = "path";
  tenant_param["required"] = true;
  tenant_param["description"] = "The municipality: ISTAT code (072006) or slug (bari)";
  tenant_param["schema"]["type"] = "string";
  for (const auto& [name, use] : services) {
    std::string path = "/{tenant}/" + name;
    for (auto& c : path) c = c == '.' ? '/' : c;
    const auto entry = catalogue["services"][name];
    YAML::Node item;
    item["parameters"].push_back(YAML::Clone(tenant_param));
    for (const char* method : {"GET", "POST", "PUT", "DELETE"}) {
      if (use.methods.contains(method)) {
        item[lower(method)] = operation(name, method, use, entry, generation->tenants.size());
      }
    }
    doc["paths"][path] = item;
  }
  YAML::Node status_path;
  status_path["parameters"].push_back(YAML::Clone(tenant_param));
  YAML::Node id_param;
  id_param["name"] = "id";
  id_param["in"] = "path";
  id_param["required"] = true;
  id_param["schema"]["type"] = "string";
  status_path["parameters"].push_back(id_param);
  YAML::Node status_op;
  status_op["operationId"] = "exchanges.get";
  status_op["tags"].push_back("exchanges");
  status_op["summary"] = "State of a one-way exchange (the id a 202 answered)";
  status_op["responses"]["200"]["description"] = "The exchange's delivery state";
  status_op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] =
      "#/components/schemas/ExchangeState";
  status_op["responses"]["404"] = problemResponse("Unknown exchange");
  status_path["get"] = status_op;
  doc["paths"]["/{tenant}/exchanges/{id}"] = status_path;
  if (catalogue.has("parameters")) {
    doc["components"]["parameters"] = YAML::Clone(catalogue["parameters"].yaml());
  }
  doc["components"]["schemas"] = YAML::Clone(catalogue["schemas"].yaml());

  YAML::Emitter out;
  out.SetIndent(2);
  emit(out, doc);
  std::printf(
      "# Generated by `egovbus openapi --config conf/bus.yaml`: do not edit; edit\n"
      "# schemas/catalogue.yaml or the routes, then regenerate.\n%s\n",
      out.c_str());
  return 0;
}

}  // namespace egov::core
