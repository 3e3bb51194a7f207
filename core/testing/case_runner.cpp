#include "core/testing/case_runner.hpp"

#include <functional>
#include <map>
#include <optional>

#include "core/engine/citizen_access.hpp"
#include "core/engine/generation.hpp"
#include "core/engine/route_runner.hpp"
#include "core/json/json_xml.hpp"
#include "core/metrics/metrics.hpp"
#include "core/net/asio.hpp"
#include "core/net/problem.hpp"
#include "core/net/query_params.hpp"
#include "core/testing/case_config.hpp"
#include "core/testing/compare.hpp"

namespace egov::core::testing {
namespace {

std::string indented(std::string_view text, std::string_view indent = "    ") {
  std::string out;
  while (!text.empty()) {
    auto newline = text.find('\n');
    out.append(indent).append(text.substr(0, newline)).push_back('\n');
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return out;
}

// The caller's body, with the query parameters joined to it as the unified API joins them.
Result<XmlDocPtr> callerBody(const RouteCase& route_case, const Limits& limits) {
  auto body = route_case.body_xml
                  ? parseXml(*route_case.body_xml,
                             XmlLimits{limits.max_body_bytes, limits.xml_depth, 1'000'000}, "body")
                  : jsonToXml(route_case.body_json.value_or("{}"),
                              JsonLimits{limits.max_body_bytes, limits.json_depth});
  if (!body) return std::move(body).error();
  if (auto merged = mergeQuery(**body, route_case.query); !merged) {
    return std::move(merged).error();
  }
  return body;
}

// As the REST API and dispatch run it, without HTTP and without the journal: request-reply
// to the end; one-way: the caller's part, the order key, then the delivery's part (202).
awaitable<Result<void>> runCase(const Generation& generation, const Tenant& tenant,
                                const Route& route, Exchange& exchange, Metrics& metrics) {
  if (auto access = checkCitizenAccess(route, exchange); !access)
    co_return std::move(access).error();
  if (!route.enqueue_at) {
    co_return co_await runRoute(generation, tenant, route, exchange, metrics);
  }
  auto before =
      co_await runRoute(generation, tenant, route, exchange, metrics, 0, *route.enqueue_at);
  if (!before) co_return std::move(before).error();
  auto order_key = orderKeyOf(route, tenant, exchange);
  if (!order_key) co_return std::move(order_key).error();
  exchange.status = 202;
  auto delivered =
      co_await runRoute(generation, tenant, route, exchange, metrics, *route.enqueue_at);
  if (!delivered) co_return std::move(delivered).error();
  exchange.status = 202;
  co_return Result<void>{};
}

Result<void> runToEnd(net::io_context& io, std::function<awaitable<Result<void>>()> make) {
  std::optional<Result<void>> result;
  std::exception_ptr failure;
  net::co_spawn(
      io,
      [&]() -> awaitable<void> {
        auto task = make();
        auto value = co_await std::move(task);
        result.emplace(std::move(value));
      },
      [&](std::exception_ptr error) { failure = error; });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*result);
}

std::string kindName(ErrorKind kind) {
  return std::string(errorKindName(kind));
}

// "json" or "xml" of a body, for showing and comparing.
struct Shown {
  std::string text;
  bool json = false;
};

Shown show(const xmlDoc& doc) {
  if (auto json = xmlToJson(doc); json) {
    if (auto pretty = normalizedJson(*json); pretty) return {*pretty, true};
  }
  auto xml = normalizedXml(doc);
  return {xml ? *xml : serializeXml(doc), false};
}

// Compares one body with a `json:` or `xml:` expectation; a message (with a diff) when they differ.
std::string compareBody(const std::string& what, const xmlDoc& actual,
                        const std::optional<std::string>& json,
                        const std::optional<std::string>& xml) {
  if (json) {
    auto expected = normalizedJson(*json);
    auto got = xmlToJson(actual);
    if (!got) {
      return what + ": expected JSON, got XML that is not the JSON representation:\n" +
             indented(show(actual).text);
    }
    auto pretty = normalizedJson(*got);
    if (!expected || !pretty) return what + ": cannot read JSON\n";
    if (*expected == *pretty) return {};
    return what + " differs (JSON data):\n" + unifiedDiff(*expected, *pretty);
  }
  if (xml) {
    auto expected = normalizedXml(*xml);
    auto got = normalizedXml(actual);
    if (!expected || !got) return what + ": cannot canonicalize XML\n";
    if (*expected == *got) return {};
    return what + " differs (canonical XML):\n" + unifiedDiff(*expected, *got);
  }
  return {};
}

}  // namespace

CaseOutcome runRouteCase(const RouteCase& route_case, const AdapterRegistry& adapters) {
  CaseOutcome outcome;
  auto fail = [&](std::string why) {
    outcome.passed = false;
    outcome.report += indented(why);
    return outcome;
  };

  ConfigErrors errors;
  auto root = ConfigNode::loadFile(route_case.config.string(), &errors);
  BusConfig bus;
  if (root.valid()) bus = parseBusConfig(root, std::filesystem::absolute(route_case.config));
  if (!root.valid() || !errors.empty()) return fail("config does not load:\n" + errors.str());

  TempFolder temp;
  if (temp.path().empty()) return fail("cannot create a temporary folder");
  auto files = writeCaseConfig(route_case, bus, temp.path());
  if (!files) return fail(files.error().message);
  const auto& bus_file = files->bus_file;
  const auto& tenant_key = files->tenant_key;
  const auto& real_tenant_file = files->real_tenant_file;
  const auto tenants = temp.path() / "tenants";

  net::io_context io;
  net::thread_pool workers(1);
  Metrics metrics;
  declareRouteMetrics(metrics);
  RuntimeServices runtime(workers.get_executor(), metrics);
  struct Stop {
    RuntimeServices& runtime;
    net::thread_pool& workers;
    ~Stop() {
      runtime.shutdown();
      workers.join();
    }
  } stop{runtime, workers};

  const auto mocked = mockedAdapters(adapters);
  ConfigErrors load_errors;
  auto generation = loadGeneration(bus_file, mocked, runtime, load_errors);
  if (!generation) {
    std::string text = load_errors.str();
    if (!real_tenant_file.empty()) {
      // The loader read the tenant file through the link: name the real one.
      const auto link = (tenants / real_tenant_file.filename()).string();
      for (auto at = text.find(link); at != std::string::npos; at = text.find(link, at)) {
        text.replace(at, link.size(), real_tenant_file.string());
        at += real_tenant_file.string().size();
      }
    }
    return fail("config does not load:\n" + text);
  }
  const Tenant* tenant = generation->findTenant(tenant_key);
  if (!tenant) return fail("tenant " + tenant_key + " did not load");
  if (!route_case.profile.empty() && tenant->profile != route_case.profile) {
    return fail("tenant " + tenant->slug + " binds profile " +
                (tenant->profile.empty() ? "(none)" : tenant->profile) + ", not " +
                route_case.profile);
  }

  std::map<std::string, std::shared_ptr<MockEndpoint>> mocks;
  for (const auto& [key, endpoint] : tenant->endpoints) {
    if (auto mock = std::dynamic_pointer_cast<MockEndpoint>(endpoint)) {
      auto it = route_case.mocks.find(key);
      mock->script(it == route_case.mocks.end() ? std::vector<MockReply>{} : it->second);
      mocks[key] = mock;
    }
  }
  for (const auto& [key, _] : route_case.mocks) {
    if (!mocks.contains(key))
      return fail("mocks." + key + ": tenant " + tenant->slug + " has no endpoint " + key);
  }
  for (const auto& [key, _] : route_case.requests) {
    if (!mocks.contains(key))
      return fail("requests." + key + ": tenant " + tenant->slug + " has no endpoint " + key);
  }

  Exchange exchange;
  exchange.id = route_case.exchange_id;
  exchange.trace_id = exchange.id;
  exchange.tenant_istat = tenant->istat;
  exchange.tenant_slug = tenant->slug;
  exchange.service = route_case.service;
  const bool has_body = route_case.body_json || route_case.body_xml;
  exchange.method = route_case.method.empty() ? (has_body ? "POST" : "GET") : route_case.method;
  exchange.headers = route_case.headers;
  exchange.query = route_case.query;
  exchange.identity = route_case.identity;
  exchange.identity.client = "egovbus-test";

  const Route* route = Generation::findRoute(*tenant, route_case.service);
  Result<void> result;
  if (!route) {
    result = makeError(ErrorKind::not_found,
                       "tenant " + tenant->slug + " has no service " + route_case.service);
  } else if (!route->methods.empty() && !route->methods.contains(exchange.method)) {
    result = makeError(ErrorKind::method_not_allowed,
                       route_case.service + " does not accept " + exchange.method);
  } else if (auto body = callerBody(route_case, generation->bus.limits); !body) {
    result = std::move(body).error();
  } else {
    exchange.body = std::move(body).value();
    exchange.deadline = Clock::now() + route->deadline;
    result = runToEnd(io, [&] { return runCase(*generation, *tenant, *route, exchange, metrics); });
  }

  // The reply, or the error as a REST caller would see it.
  const auto& expect = route_case.expect;
  std::string report;
  if (!result) {
    const auto& error = result.error();
    const int status = httpStatus(error.kind);
    const std::string got =
        "error " + kindName(error.kind) + " (" + std::to_string(status) + "): " + error.message;
    if (!expect.error) {
      report += "expected a reply" +
                (expect.status ? " with status " + std::to_string(*expect.status) : std::string()) +
                ", got " + got + "\n";
    } else {
      if (*expect.error != error.kind) {
        report += "error: expected " + kindName(*expect.error) + ", got " + got + "\n";
      }
      if (expect.status && *expect.status != status) {
        report += "status: expected " + std::to_string(*expect.status) + ", got " +
                  std::to_string(status) + "\n";
      }
      if (!expect.detail.empty() && error.message.find(expect.detail) == std::string::npos) {
        report += "detail: expected to contain \"" + expect.detail + "\", got \"" + error.message +
                  "\"\n";
      }
    }
  } else {
    if (expect.error) {
      report += "expected error " + kindName(*expect.error) + ", got a reply with status " +
                std::to_string(exchange.status) + ":\n" + indented(show(*exchange.body).text);
    } else {
      if (expect.status && *expect.status != exchange.status) {
        report += "status: expected " + std::to_string(*expect.status) + ", got " +
                  std::to_string(exchange.status) + "\n";
      }
      report += compareBody("reply body", *exchange.body, expect.json, expect.xml);
    }
  }

  for (const auto& [key, expected] : route_case.requests) {
    const auto received = mocks[key]->received();
    if (received.size() != expected.size()) {
      report += "requests." + key + ": expected " + std::to_string(expected.size()) +
                " call(s), got " + std::to_string(received.size()) + "\n";
    }
    for (std::size_t i = 0; i < std::min(received.size(), expected.size()); ++i) {
      auto doc = parseXml(received[i], {}, "request");
      if (!doc) continue;
      report += compareBody("request " + std::to_string(i + 1) + " to " + key, **doc,
                            expected[i].json, expected[i].xml);
    }
  }
  for (const auto& [key, mock] : mocks) {
    if (auto unused = mock->unusedReplies()) {
      report += "mocks." + key + ": " + std::to_string(unused) + " mocked repl" +
                (unused == 1 ? "y" : "ies") + " never used (the route called " + key + " " +
                std::to_string(mock->received().size()) + " time(s))\n";
    }
  }
  outcome.passed = report.empty();
  outcome.report = indented(report);
  return outcome;
}

CaseOutcome runMappingCase(const MappingCase& mapping_case, StylesheetCache& cache) {
  CaseOutcome outcome;
  const auto first = mapping_case.input.find_first_not_of(" \t\r\n");
  const bool is_xml = first != std::string::npos && mapping_case.input[first] == '<';
  auto input = is_xml ? parseXml(mapping_case.input, {}, "input") : jsonToXml(mapping_case.input);
  if (!input) {
    outcome.report = indented("input: " + input.error().message);
    return outcome;
  }
  auto& mapping = cache[mapping_case.stylesheet];
  if (!mapping) {
    auto compiled = XsltMapping::compile(mapping_case.stylesheet);
    if (!compiled) {
      outcome.report = indented(compiled.error().message);
      return outcome;
    }
    mapping = std::move(compiled).value();
  }
  LookupTables tables;
  if (!mapping_case.config.empty()) {
    ConfigErrors errors;
    auto root = ConfigNode::loadFile(mapping_case.config.string(), &errors);
    if (root.valid())
      tables =
          loadLookupTables(parseBusConfig(root, std::filesystem::absolute(mapping_case.config)));
    if (!errors.empty()) {
      outcome.report = indented("config does not load:\n" + errors.str());
      return outcome;
    }
  }
  MappingContext context{&tables};
  auto output = mapping->apply(**input, mapping_case.params, context);
  std::string report;
  if (mapping_case.error) {
    if (output) {
      report = "expected error containing \"" + *mapping_case.error + "\", got:\n" +
               indented(show(**output).text);
    } else if (output.error().message.find(*mapping_case.error) == std::string::npos) {
      report = "error: expected to contain \"" + *mapping_case.error + "\", got \"" +
               output.error().message + "\"\n";
    }
  } else if (!output) {
    report = "expected an output, got error: " + output.error().message + "\n";
  } else {
    const auto& expected = *mapping_case.expected;
    const auto at = expected.find_first_not_of(" \t\r\n");
    const bool json = at != std::string::npos && (expected[at] == '{' || expected[at] == '[');
    report = compareBody("output", **output, json ? std::optional(expected) : std::nullopt,
                         json ? std::nullopt : std::optional(expected));
  }
  outcome.passed = report.empty();
  outcome.report = indented(report);
  return outcome;
}

}  // namespace egov::core::testing
