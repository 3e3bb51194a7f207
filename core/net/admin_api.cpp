#include "core/net/admin_api.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/log/log.hpp"
#include "core/net/admin_support.hpp"
#include "core/net/problem.hpp"
#include "core/net/run_on.hpp"
#include "core/security/audit_trail.hpp"

namespace egov::core {
namespace {

using namespace admin;  // JSON responses, query values, times (admin_support.hpp)

struct AdminRoute {
  http::verb method;
  std::string_view pattern;  // "{}" segments are parameters
  AdminApi::Operation operation;
};

// Splits "/a/b/c" and matches it against "/a/{}/c"; fills the parameters.
bool matchPattern(std::string_view pattern, std::string_view path,
                  std::vector<std::string>& params) {
  params.clear();
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty() || pattern[0] != '/' || path[0] != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    auto p_end = pattern.find('/'), s_end = path.find('/');
    auto p = pattern.substr(0, p_end), s = path.substr(0, s_end);
    if (p == "{}") {
      if (s.empty()) return false;
      params.emplace_back(s);
    } else if (p != s) {
      return false;
    }
    pattern = p_end == std::string_view::npos ? std::string_view{} : pattern.substr(p_end);
    path = s_end == std::string_view::npos ? std::string_view{} : path.substr(s_end);
  }
  return true;
}

void writeEntry(JsonWriter& w, const JournalEntry& e, bool with_body) {
  w.StartObject();
  writeString(w, "id", e.id);
  writeString(w, "tenant", e.tenant_slug);
  writeString(w, "tenant_istat", e.tenant_istat);
  writeString(w, "service", e.service);
  writeString(w, "client", e.client);
  w.Key("attempts");
  w.Int(e.attempts);
  writeString(w, "created", isoTime(e.created_ms));
  writeString(w, "updated", isoTime(e.updated_ms));
  writeString(w, "last_error", maskFiscalCodes(e.last_error));
  if (with_body) writeString(w, "body", maskFiscalCodes(e.body));
  w.EndObject();
}

Error forbidden(std::string message) {
  return makeError(ErrorKind::forbidden, std::move(message));
}

constexpr AdminRoute kRoutes[] = {
    {http::verb::get, "/metrics", &AdminApi::metrics},
    {http::verb::get, "/admin/v1/generation", &AdminApi::generationInfo},
    {http::verb::post, "/admin/v1/reload", &AdminApi::reload},
    {http::verb::get, "/admin/v1/dead-letters", &AdminApi::listDeadLetters},
    {http::verb::get, "/admin/v1/dead-letters/{}", &AdminApi::showDeadLetter},
    {http::verb::post, "/admin/v1/dead-letters/{}/replay", &AdminApi::replayDeadLetter},
    {http::verb::post, "/admin/v1/dead-letters/{}/discard", &AdminApi::discardDeadLetter},
    {http::verb::get, "/admin/v1/tenants", &AdminApi::listTenants},
    {http::verb::get, "/admin/v1/tenants/{}", &AdminApi::showTenant},
    {http::verb::get, "/admin/v1/exchanges", &AdminApi::searchExchanges},
    {http::verb::get, "/admin/v1/exchanges/{}", &AdminApi::showExchange},
    {http::verb::get, "/admin/v1/batches", &AdminApi::listBatches},
    {http::verb::get, "/admin/v1/stats", &AdminApi::trafficStats},
};

}  // namespace

awaitable<HttpResponse> AdminApi::handle(const HttpRequest& request, std::string_view path,
                                         std::string_view query, const PeerCertificate* peer) {
  std::string admin_name;
  auto dispatch = [&]() -> awaitable<Result<HttpResponse>> {
    auto generation = bus_.generation();
    if (!generation) co_return makeError(ErrorKind::unavailable, "the bus is not serving");
    auto principal = co_await Authenticator::of(bus_.runtime())
                         .authenticate(request, peer, *generation->credentials);
    if (!principal) co_return std::move(principal).error();
    admin_name = principal->name;
    if (principal->kind != KeyKind::admin) co_return forbidden("the admin API needs an admin key");
    std::vector<std::string> params;
    std::vector<std::string> allowed;
    for (const auto& route : kRoutes) {
      if (!matchPattern(route.pattern, path, params)) continue;
      if (route.method != request.method()) {
        allowed.emplace_back(http::to_string(route.method));
        continue;
      }
      Call call{request, std::move(params), query, *principal, *generation};
      co_return co_await (this->*route.operation)(call);
    }
    if (!allowed.empty()) {
      co_return makeError(ErrorKind::method_not_allowed, path.empty() ? "" : "use " + allowed[0]);
    }
    co_return makeError(ErrorKind::not_found, "no such admin resource");
  };
  auto result = co_await dispatch();
  if (result) co_return std::move(result).value();
  const auto& error = result.error();
  logEvent(LogLevel::info, "admin request refused",
           {{"path", path},
            {"admin", admin_name},
            {"status", static_cast<std::int64_t>(httpStatus(error.kind))},
            {"error", error.message}});
  auto response = jsonResponse(request, static_cast<http::status>(httpStatus(error.kind)),
                               problemJson(error, ""), "application/problem+json");
  if (error.kind == ErrorKind::unauthorized) response.set(http::field::www_authenticate, "Bearer");
  co_return response;
}

awaitable<Result<HttpResponse>> AdminApi::metrics(const Call& call) {
  if (!call.admin.allTenants()) co_return forbidden("metrics need an admin key for every tenant");
  co_return jsonResponse(call.request, http::status::ok, bus_.metrics().render(),
                         "text/plain; version=0.0.4; charset=utf-8");
}

awaitable<Result<HttpResponse>> AdminApi::generationInfo(const Call& call) {
  if (!call.admin.allTenants()) co_return forbidden("needs an admin key for every tenant");
  const auto& generation = call.generation;
  std::size_t routes = 0;
  for (const auto& tenant : generation.tenants) routes += tenant->routes.size();
  co_return jsonResponse(call.request, http::status::ok, json([&](JsonWriter& w) {
                           w.StartObject();
                           w.Key("generation");
                           w.Uint64(generation.number);
                           writeString(w, "config", generation.bus.file.string());
                           w.Key("tenants");
                           w.Uint64(generation.tenants.size());
                           w.Key("routes");
                           w.Uint64(routes);
                           w.Key("inbound");
                           w.Uint64(generation.inbound.size());
                           w.Key("clients");
                           w.Uint64(generation.credentials->clients.size());
                           w.Key("keys");
                           w.Uint64(generation.credentials->keys.size());
                           w.EndObject();
                         }));
}

awaitable<Result<HttpResponse>> AdminApi::reload(const Call& call) {
  if (!call.admin.allTenants()) co_return forbidden("reload needs an admin key for every tenant");
  // Same as SIGHUP: built on the worker pool, swapped in only when the whole config loads.
  auto work = [this]() -> Result<std::string> {
    ConfigErrors errors;
    if (bus_.reload(errors)) return std::string();
    return makeError(ErrorKind::validation_failed, errors.str());
  };
  auto outcome = co_await runOn(bus_.runtime().workers(), work);
  if (!outcome) {
    logEvent(LogLevel::error, "config reload rejected; the previous generation keeps serving",
             {{"by", call.admin.name}, {"errors", outcome.error().message}});
    std::vector<std::string> lines;
    std::string_view text = outcome.error().message;
    while (!text.empty()) {
      auto nl = text.find('\n');
      if (nl != 0) lines.emplace_back(text.substr(0, nl));
      text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    }
    co_return jsonResponse(call.request, http::status::unprocessable_entity,
                           json([&](JsonWriter& w) {
                             w.StartObject();
                             writeString(w, "type", "urn:egovbus:problem:config-rejected");
                             writeString(w, "title", "Config rejected");
                             w.Key("status");
                             w.Int(422);
                             writeString(w, "detail",
                                         "the new config has errors; the previous generation "
                                         "keeps serving");
                             w.Key("errors");
                             w.StartArray();
                             for (const auto& line : lines) w.String(line.c_str());
                             w.EndArray();
                             w.EndObject();
                           }),
                           "application/problem+json");
  }
  const auto number = bus_.generation()->number;
  logEvent(LogLevel::info, "config reloaded",
           {{"generation", static_cast<std::int64_t>(number)}, {"by", call.admin.name}});
  co_return jsonResponse(call.request, http::status::ok, json([&](JsonWriter& w) {
                           w.StartObject();
                           w.Key("generation");
                           w.Uint64(number);
                           w.EndObject();
                         }));
}

awaitable<Result<HttpResponse>> AdminApi::listDeadLetters(const Call& call) {
  Journal* journal = bus_.journal();
  if (!journal) co_return makeError(ErrorKind::unavailable, "the bus has no journal");
  std::string tenant_istat;
  if (auto wanted = queryValue(call.query, "tenant"); !wanted.empty()) {
    const auto* tenant = call.generation.findTenant(wanted);
    if (!tenant || !call.admin.allowsTenant(tenant->istat, tenant->slug)) {
      co_return forbidden("this admin key may not see this tenant");
    }
    tenant_istat = tenant->istat;
  }
  auto dead = co_await journal->listDead(tenant_istat, 1000);
  if (!dead) co_return std::move(dead).error();
  co_return jsonResponse(call.request, http::status::ok, json([&](JsonWriter& w) {
                           w.StartObject();
                           w.Key("dead_letters");
                           w.StartArray();
                           for (const auto& entry : *dead) {
                             if (call.admin.allowsTenant(entry.tenant_istat, entry.tenant_slug)) {
                               writeEntry(w, entry, false);
                             }
                           }
                           w.EndArray();
                           w.EndObject();
                         }));
}

awaitable<Result<HttpResponse>> AdminApi::showDeadLetter(const Call& call) {
  Journal* journal = bus_.journal();
  if (!journal) co_return makeError(ErrorKind::unavailable, "the bus has no journal");
  std::string every_tenant;  // named: g++ 12 mishandles temporary arguments of coroutines
  auto dead = co_await journal->listDead(every_tenant, 100000);
  if (!dead) co_return std::move(dead).error();
  for (const auto& entry : *dead) {
    if (entry.id != call.params[0]) continue;
    if (!call.admin.allowsTenant(entry.tenant_istat, entry.tenant_slug)) break;
    co_return jsonResponse(call.request, http::status::ok,
                           json([&](JsonWriter& w) { writeEntry(w, entry, true); }));
  }
  co_return makeError(ErrorKind::not_found, "no dead letter " + call.params[0]);
}

awaitable<Result<HttpResponse>> AdminApi::replayDeadLetter(const Call& call) {
  co_return co_await resolve(call, "replay");
}

awaitable<Result<HttpResponse>> AdminApi::discardDeadLetter(const Call& call) {
  co_return co_await resolve(call, "discard");
}

// Body {"reason": "..."}: recorded in the journal with the operator's name, and in the audit
// trail.
awaitable<Result<HttpResponse>> AdminApi::resolve(const Call& call, const std::string& action) {
  Journal* journal = bus_.journal();
  if (!journal) co_return makeError(ErrorKind::unavailable, "the bus has no journal");
  rapidjson::Document body;
  body.Parse(call.request.body().c_str(), call.request.body().size());
  if (body.HasParseError() || !body.IsObject() || !body.HasMember("reason") ||
      !body["reason"].IsString() || body["reason"].GetStringLength() == 0) {
    co_return makeError(ErrorKind::bad_request,
                        "send {\"reason\": \"...\"}: the reason is recorded");
  }
  const std::string reason = maskFiscalCodes(body["reason"].GetString());
  const auto& id = call.params[0];
  std::string every_tenant;  // named: g++ 12 mishandles temporary arguments of coroutines
  auto dead = co_await journal->listDead(every_tenant, 100000);
  if (!dead) co_return std::move(dead).error();
  const JournalEntry* found = nullptr;
  for (const auto& entry : *dead) {
    if (entry.id == id && call.admin.allowsTenant(entry.tenant_istat, entry.tenant_slug)) {
      found = &entry;
    }
  }
  if (!found) co_return makeError(ErrorKind::not_found, "no dead letter " + id);
  DeadLetterAction resolution{id, action, call.admin.name, reason};
  auto done = co_await journal->resolveDead(std::move(resolution));
  if (!done) co_return std::move(done).error();
  logEvent(LogLevel::info, "dead letter resolved",
           {{"id", id}, {"action", action}, {"by", call.admin.name}, {"reason", reason}});
  if (AuditTrail* audit = bus_.audit()) {
    AuditRecord record;
    record.exchange_id = id;
    record.tenant = found->tenant_istat;
    record.client = call.admin.name;
    record.service = "admin.dead-letters." + action;
    record.outcome = "ok";
    record.detail = reason;
    audit->record(std::move(record));
  }
  co_return jsonResponse(call.request, http::status::ok, json([&](JsonWriter& w) {
                           w.StartObject();
                           writeString(w, "id", id);
                           writeString(w, "state", action == "replay" ? "queued" : "discarded");
                           writeString(w, "by", call.admin.name);
                           w.EndObject();
                         }));
}

}  // namespace egov::core
