#include "core/net/api.hpp"

#include <libxml/tree.h>

#include "core/common/ids.hpp"
#include "core/engine/dispatch.hpp"
#include "core/json/json_xml.hpp"
#include "core/log/log.hpp"
#include "core/metrics/metrics.hpp"
#include "core/net/console.hpp"
#include "core/net/problem.hpp"
#include "core/net/query_params.hpp"

namespace egov::core {
namespace {

constexpr std::string_view kApiPrefix = "/api/v1/";
bool isServiceSegment(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

// Accepts a caller's trace id only when it is short and plain, so it is safe to log.
std::string traceIdOf(const HttpRequest& request, const std::string& fallback) {
  auto it = request.find("X-Request-Id");
  if (it == request.end()) return fallback;
  std::string_view value(it->value().data(), it->value().size());
  if (value.empty() || value.size() > 128) return fallback;
  for (char c : value) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return fallback;
    }
  }
  return std::string(value);
}

std::string_view mediaType(std::string_view content_type) {
  auto semicolon = content_type.find(';');
  auto type = content_type.substr(0, semicolon);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return type;
}

bool isJsonType(std::string_view type) {
  return type == "application/json" || (type.size() > 5 && type.substr(type.size() - 5) == "+json");
}
bool isXmlType(std::string_view type) {
  return type == "application/xml" || type == "text/xml" ||
         (type.size() > 4 && type.substr(type.size() - 4) == "+xml");
}

// JSON unless the caller prefers XML; an Accept that allows neither is an error.
Result<bool> wantsXml(const HttpRequest& request) {
  auto it = request.find(http::field::accept);
  if (it == request.end()) return false;
  std::string_view accept(it->value().data(), it->value().size());
  bool json = false, xml = false, any = false;
  while (!accept.empty()) {
    auto comma = accept.find(',');
    auto item = mediaType(accept.substr(0, comma));
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    json = json || isJsonType(item) || item == "application/problem+json";
    xml = xml || isXmlType(item);
    any = any || item == "*/*" || item == "application/*";
    accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
  }
  if (json || any) return false;
  if (xml) return true;
  return makeError(ErrorKind::not_acceptable,
                   "this API answers application/json or application/xml");
}

Result<XmlDocPtr> canonicalBody(const HttpRequest& request, const Limits& limits) {
  if (request.body().empty()) return jsonToXml("{}");
  auto it = request.find(http::field::content_type);
  auto type = it == request.end()
                  ? std::string_view{}
                  : mediaType(std::string_view(it->value().data(), it->value().size()));
  if (isJsonType(type)) {
    return jsonToXml(request.body(), JsonLimits{limits.max_body_bytes, limits.json_depth});
  }
  if (isXmlType(type)) {
    return parseXml(request.body(), XmlLimits{limits.max_body_bytes, limits.xml_depth, 1'000'000},
                    "body");
  }
  return makeError(
      ErrorKind::unsupported_media_type,
      "send application/json or application/xml, not " +
          (type.empty() ? std::string("a body without Content-Type") : std::string(type)));
}

// An authenticated API client's request rate (bus.yaml clients.<name>.rate_limit, or
// auth.client_rate_limit): `rate_limited` with Retry-After when over it.
Result<void> admitClient(const Credentials& credentials, const Principal& principal,
                         Metrics& metrics) {
  auto limit = credentials.limitOf(principal.name);
  if (!limit.guard) return {};
  auto admitted = limit.guard->admit(limit.settings);
  if (admitted) return admitted;
  auto error = std::move(admitted).error();
  error.kind = ErrorKind::rate_limited;
  error.message = "client " + principal.name + ": request rate limit reached";
  metrics.add("egov_client_rate_limited_total", {{"client", principal.name}});
  return error;
}

}  // namespace

ApiHandler::ApiHandler(Bus& bus) : bus_(bus), admin_(bus) {
  auto& metrics = bus_.metrics();
  metrics.declareCounter("egov_requests_total",
                         "Requests to the unified API by tenant, service and status.");
  metrics.declareHistogram("egov_request_duration_seconds", "Duration of unified API requests.");
  metrics.declareCounter(
      "egov_client_rate_limited_total",
      "Requests refused (429) because their API client exceeded its rate limit.");
}

HttpResponse ApiHandler::plain(const HttpRequest& request, http::status status, std::string body,
                               const char* content_type) const {
  HttpResponse response{status, request.version()};
  response.set(http::field::content_type, content_type);
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive() && !bus_.draining());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

awaitable<HttpResponse> ApiHandler::handle(HttpRequest request,
                                           std::optional<PeerCertificate> peer) {
  std::string_view target(request.target().data(), request.target().size());
  auto question = target.find('?');
  auto path = target.substr(0, question);
  auto query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
  const PeerCertificate* peer_certificate = peer ? &*peer : nullptr;

  if (path == "/healthz") co_return plain(request, http::status::ok, "ok\n", "text/plain");
  if (path == "/readyz") {
    const bool ready = bus_.generation() && !bus_.draining();
    co_return plain(request, ready ? http::status::ok : http::status::service_unavailable,
                    ready ? "ready\n" : "not ready\n", "text/plain");
  }
  // The SAML assertion is the session endpoint's credential (checked before the API prefix).
  if (path == kSpidSessionPath) co_return co_await spidSession(request);
  if (path.starts_with(kApiPrefix)) {
    co_return co_await handleService(request, path, query, peer_certificate);
  }
  if (isConsolePath(path)) co_return consoleResponse(request, path);  // data: /admin/v1
  if (path == "/metrics" || path == "/admin/v1" || path.starts_with("/admin/v1/")) {
    auto response = co_await admin_.handle(request, path, query, peer_certificate);
    response.keep_alive(request.keep_alive() && !bus_.draining());
    co_return response;
  }
  if (auto generation = bus_.generation()) {
    std::string tenant_key;
    if (const auto* inbound = generation->findInbound(path, tenant_key)) {
      auto response = co_await handleInbound(request, *generation, *inbound, std::move(tenant_key),
                                             path, query, peer_certificate);
      response.keep_alive(response.keep_alive() && request.keep_alive() && !bus_.draining());
      co_return response;
    }
  }
  Error error = makeError(ErrorKind::not_found, "no such resource; the API lives under /api/v1/");
  co_return plain(request, http::status::not_found, problemJson(error, ""),
                  "application/problem+json");
}

HttpResponse ApiHandler::refuseUnread(const HttpRequest& request, const Error& error,
                                      http::status status) const {
  std::string_view target(request.target().data(), request.target().size());
  const auto question = target.find('?');
  const auto path = target.substr(0, question);
  const auto query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
  auto generation = bus_.generation();
  std::string tenant_key;
  const InboundPath* inbound =
      generation && !path.empty() ? generation->findInbound(path, tenant_key) : nullptr;
  HttpResponse response;
  if (inbound) {
    InboundRequest inbound_request{request, path, query,         bus_,   *generation,
                                   nullptr, {},   inbound->auth, nullptr};
    if (!tenant_key.empty()) {
      inbound_request.tenant = generation->findTenant(tenant_key);
      inbound_request.tenant_key = std::move(tenant_key);
    }
    response = inbound->handler->refuse(inbound_request, error);
    response.result(status);
  } else {
    response = HttpResponse{status, request.version()};
    response.set(http::field::content_type, "application/problem+json");
    response.body() = problemJson(error, "");
  }
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(false);
  response.prepare_payload();
  logEvent(LogLevel::info, "request refused by the listener",
           {{"inbound", inbound ? std::string_view(inbound->handler->name()) : std::string_view()},
            {"status", static_cast<std::int64_t>(static_cast<unsigned>(status))},
            {"error", std::string_view(error.message)}});
  return response;
}

awaitable<HttpResponse> ApiHandler::handleInbound(const HttpRequest& request,
                                                  const Generation& generation,
                                                  const InboundPath& inbound,
                                                  std::string tenant_key, std::string_view path,
                                                  std::string_view query,
                                                  const PeerCertificate* peer) {
  InboundRequest inbound_request{
      request, path, query, bus_, generation, nullptr, {}, InboundAuth::api_key, nullptr};
  inbound_request.auth = inbound.auth;
  if (!tenant_key.empty()) {
    inbound_request.tenant = generation.findTenant(tenant_key);
    inbound_request.tenant_key = std::move(tenant_key);
  }
  if (inbound.auth == InboundAuth::none) {
    co_return co_await inbound.handler->handle(std::move(inbound_request));
  }
  // mtls: the certificate alone; api-key: a key, or a mapped certificate.
  std::optional<Result<Principal>> authenticated;
  if (inbound.auth == InboundAuth::mtls) {
    authenticated.emplace(Authenticator::byCertificate(peer, *generation.credentials));
  } else {
    auto& authenticator = Authenticator::of(bus_.runtime());
    auto result = co_await authenticator.authenticate(request, peer, *generation.credentials);
    authenticated.emplace(std::move(result));
  }
  auto& principal = *authenticated;
  std::optional<Error> refusal;
  if (!principal) {
    refusal = principal.error();
  } else if (principal->kind != KeyKind::client ||
             (!inbound_request.tenant_key.empty() &&
              (!inbound_request.tenant ||
               !principal->allowsTenant(inbound_request.tenant->istat,
                                        inbound_request.tenant->slug)))) {
    // An unknown tenant and a tenant out of scope are refused alike.
    refusal = makeError(ErrorKind::forbidden, "this client may not call this service");
  } else if (auto admitted = admitClient(*generation.credentials, *principal, bus_.metrics());
             !admitted) {
    refusal = std::move(admitted).error();
  }
  if (refusal) {
    logEvent(LogLevel::info, "inbound refused",
             {{"inbound", inbound.handler->name()},
              {"client", principal ? std::string_view(principal->name) : std::string_view()},
              {"status", static_cast<std::int64_t>(httpStatus(refusal->kind))}});
    co_return inbound.handler->refuse(inbound_request, *refusal);
  }
  inbound_request.principal = &*principal;
  co_return co_await inbound.handler->handle(std::move(inbound_request));
}

awaitable<HttpResponse> ApiHandler::handleService(const HttpRequest& request, std::string_view path,
                                                  std::string_view query,
                                                  const PeerCertificate* peer) {
  const auto started = Clock::now();
  Exchange exchange;
  exchange.id = newTimeOrderedUuid();
  exchange.trace_id = traceIdOf(request, exchange.id);
  exchange.method = std::string(request.method_string());
  std::string tenant_label = "unknown", service_label = "unknown", client_label;
  std::vector<std::string> allow;
  HeaderList extra_headers;
  std::string json_reply;  // set by the bus's own answers (handOff, exchangeStatus)

  auto result = co_await [&]() -> awaitable<Result<void>> {
    auto generation = bus_.generation();
    if (!generation || bus_.draining())
      co_return makeError(ErrorKind::unavailable, "the bus is not serving");
    std::vector<std::string> segments;
    for (auto rest = path.substr(kApiPrefix.size()); !rest.empty();) {
      auto slash = rest.find('/');
      std::string segment;
      if (!percentDecode(rest.substr(0, slash), segment, false)) {
        co_return makeError(ErrorKind::bad_request, "malformed percent-encoding in path");
      }
      segments.push_back(std::move(segment));
      rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    }
    auto principal = co_await Authenticator::of(bus_.runtime())
                         .authenticate(request, peer, *generation->credentials);
    if (!principal) co_return std::move(principal).error();
    client_label = principal->name;
    exchange.identity.client = principal->name;
    if (principal->kind != KeyKind::client) {
      co_return makeError(ErrorKind::forbidden, "an admin key does not call services");
    }
    if (auto admitted = admitClient(*generation->credentials, *principal, bus_.metrics());
        !admitted) {
      co_return std::move(admitted).error();
    }
    if (segments.size() < 2)
      co_return makeError(ErrorKind::not_found, "expected /api/v1/{tenant}/{service path}");
    // Unknown and out of scope answer the same, so nothing tells whether a tenant exists.
    const Tenant* tenant = generation->findTenant(segments[0]);
    if (!tenant || !principal->allowsTenant(tenant->istat, tenant->slug)) {
      co_return makeError(ErrorKind::forbidden, "this client may not use this tenant");
    }
    tenant_label = tenant->slug;
    exchange.tenant_istat = tenant->istat;
    exchange.tenant_slug = tenant->slug;
    if (auto admitted = tenant->guard->admit(tenant->rate_limit); !admitted) {
      auto error = std::move(admitted).error();
      error.kind = ErrorKind::rate_limited;
      error.message = "tenant " + tenant->slug + ": request rate limit reached";
      co_return error;
    }
    if (segments.size() == 3 && segments[1] == "exchanges") {
      service_label = "exchanges";
      if (exchange.method != "GET") {
        allow = {"GET"};
        co_return makeError(ErrorKind::method_not_allowed, "exchange states are read with GET");
      }
      co_return co_await exchangeStatus(*tenant, segments[2], *principal, json_reply);
    }
    for (std::size_t i = 1; i < segments.size(); ++i) {
      if (!isServiceSegment(segments[i]))
        co_return makeError(ErrorKind::not_found, "unknown service");
      exchange.service += (i > 1 ? "." : "") + segments[i];
    }
    if (!principal->allows(tenant->istat, tenant->slug, exchange.service)) {
      co_return makeError(ErrorKind::forbidden, "this client may not call this service");
    }
    const Route* route = Generation::findRoute(*tenant, exchange.service);
    if (!route) {
      co_return makeError(ErrorKind::not_found,
                          "tenant " + tenant->slug + " has no service " + exchange.service);
    }
    service_label = exchange.service;
    static const std::set<std::string> kAnyMethod = {"DELETE", "GET", "POST", "PUT"};
    const auto& methods = route->methods.empty() ? kAnyMethod : route->methods;
    if (!methods.contains(exchange.method)) {
      allow.assign(methods.begin(), methods.end());
      co_return makeError(ErrorKind::method_not_allowed,
                          exchange.service + " does not accept " + exchange.method);
    }
    auto xml_reply = wantsXml(request);
    if (!xml_reply) co_return std::move(xml_reply).error();
    auto body = canonicalBody(request, generation->bus.limits);
    if (!body) co_return std::move(body).error();
    auto params = parseQuery(query);
    if (!params) co_return std::move(params).error();
    if (auto merged = mergeQuery(**body, *params); !merged) co_return std::move(merged).error();
    exchange.body = std::move(body).value();
    exchange.query = std::move(params).value();
    for (const auto& field : request) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name == "authorization" || name == "cookie" || name == "proxy-authorization" ||
          name == "x-spid-session") {
        continue;
      }
      exchange.headers[name] = std::string(field.value());
    }
    exchange.deadline = started + route->deadline;
    if (auto admitted = admitCitizen(request, *generation, *route, exchange); !admitted) {
      co_return std::move(admitted).error();
    }
    if (route->enqueue_at) {
      co_return co_await handOff(request, *generation, *tenant, *route, exchange, extra_headers,
                                 json_reply);
    }
    Submission submission;  // named: g++ 12 destroys a temporary argument of a coroutine twice
    auto done = co_await submitExchange(bus_, *generation, *tenant, *route, exchange,
                                        std::move(submission));
    if (!done) co_return std::move(done).error();
    co_return Result<void>{};
  }();

  HttpResponse response;
  if (result) {
    auto wants_xml = wantsXml(request);
    const bool xml = wants_xml.ok() && *wants_xml;
    if (!json_reply.empty()) {
      // The bus's own answer (a 202, an exchange's state), written as JSON: converted only for
      // a caller that asks for XML.
      if (!xml) {
        response = plain(request, static_cast<http::status>(exchange.status), std::move(json_reply),
                         "application/json");
      } else if (auto doc = jsonToXml(json_reply)) {
        response = plain(request, static_cast<http::status>(exchange.status), serializeXml(**doc),
                         "application/xml");
      } else {
        result = std::move(doc).error();
      }
    } else if (xml) {
      response = plain(request, static_cast<http::status>(exchange.status),
                       serializeXml(*exchange.body), "application/xml");
    } else if (auto json = xmlToJson(*exchange.body)) {
      response = plain(request, static_cast<http::status>(exchange.status), std::move(json).value(),
                       "application/json");
    } else {
      result = Error{ErrorKind::mapping_failed,
                     "the route's reply is not JSON: " + json.error().message, 0};
    }
  }
  if (!result) {
    const auto& error = result.error();
    response = plain(request, static_cast<http::status>(httpStatus(error.kind)),
                     problemJson(error, exchange.id), "application/problem+json");
    if (error.retry_after_s > 0) {
      response.set(http::field::retry_after, std::to_string(error.retry_after_s));
    }
    if (error.kind == ErrorKind::unauthorized)
      response.set(http::field::www_authenticate, "Bearer");
    if (!allow.empty()) {
      std::string value;
      for (const auto& m : allow) value += (value.empty() ? "" : ", ") + m;
      response.set(http::field::allow, value);
    }
  }
  response.set("X-Egov-Exchange-Id", exchange.id);
  for (const auto& [name, value] : extra_headers) response.set(name, value);

  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const auto status = std::to_string(response.result_int());
  bus_.metrics().add("egov_requests_total",
                     {{"tenant", tenant_label}, {"service", service_label}, {"status", status}});
  bus_.metrics().observe("egov_request_duration_seconds",
                         {{"tenant", tenant_label}, {"service", service_label}}, seconds);
  const std::string error_text = result ? std::string() : result.error().message;
  logEvent(result || response.result_int() < 500 ? LogLevel::info : LogLevel::warn, "exchange",
           {{"exchange", exchange.id},
            {"trace", exchange.trace_id},
            {"client", client_label},
            {"tenant", tenant_label},
            {"service", service_label},
            {"method", exchange.method},
            {"status", static_cast<std::int64_t>(response.result_int())},
            {"duration_ms", seconds * 1000.0},
            {"error", error_text}});
  co_return response;
}

}  // namespace egov::core
