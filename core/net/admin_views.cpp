// The operators' views of the admin API: tenants with their routes and the live health of
// their endpoints, the journal's exchanges (payloads redacted unless asked for with a reason,
// which is audited), batch files, and recent traffic. Every listing and lookup is limited to
// the tenants of the admin key; a tenant outside them answers 403 like an unknown one, an
// exchange outside them 404 like a missing one.
#include <algorithm>

#include "core/engine/endpoint_guard.hpp"
#include "core/log/log.hpp"
#include "core/metrics/traffic.hpp"
#include "core/net/admin_api.hpp"
#include "core/net/admin_support.hpp"
#include "core/security/audit_trail.hpp"

namespace egov::core {
namespace {

using namespace admin;

constexpr std::size_t kMaxLimit = 1000;

// Health of an endpoint (or of what depends on it), worst last.
enum class Health { idle, ok, degraded, down };

std::string_view healthName(Health h) {
  switch (h) {
    case Health::idle:
      return "idle";
    case Health::ok:
      return "ok";
    case Health::degraded:
      return "degraded";
    case Health::down:
      return "down";
  }
  return "idle";
}

// down: the breaker refuses calls, or most recent calls failed; degraded: some failed, a
// probe is due, or calls wait for a slot; ok: recent calls, none failed; idle: no recent call.
Health classify(const EndpointGuard::Health& h) {
  if (h.breaker == "open" || (h.errors > 0 && h.error_rate >= 0.5)) return Health::down;
  if (h.breaker == "half-open" || h.errors > 0 || h.queued > 0) return Health::degraded;
  return h.calls > 0 ? Health::ok : Health::idle;
}

struct EndpointView {
  std::string key;
  const Endpoint* endpoint;
  const GuardSettings* limits;
  EndpointGuard::Health health;
  Health status;
};

// The live health of each endpoint of a tenant, by key.
std::map<std::string, EndpointView> endpointViews(Bus& bus, const Tenant& tenant) {
  auto registry = bus.runtime().shared<GuardRegistry>(
      [&bus] { return std::make_shared<GuardRegistry>(bus.metrics()); });
  static const GuardSettings kNoLimits;
  std::map<std::string, EndpointView> views;
  for (const auto& [key, endpoint] : tenant.endpoints) {
    if (!endpoint) continue;
    auto limits = tenant.endpoint_limits.find(key);
    auto health = registry->guard(endpoint->name())->health();
    if (limits == tenant.endpoint_limits.end() || limits->second.breaker_failures == 0)
      health.breaker = "none";
    views.emplace(
        key, EndpointView{key, endpoint.get(),
                          limits == tenant.endpoint_limits.end() ? &kNoLimits : &limits->second,
                          health, classify(health)});
  }
  return views;
}

// The endpoint keys a route's steps call, in order, through `choose` branches too.
void calledEndpoints(const Steps& steps, std::vector<std::string>& keys) {
  for (const auto& step : steps) {
    if (const auto* call = std::get_if<CallStep>(&step.action)) {
      if (std::find(keys.begin(), keys.end(), call->key) == keys.end()) keys.push_back(call->key);
    } else if (const auto* choose = std::get_if<ChooseStep>(&step.action)) {
      for (const auto& when : choose->whens) calledEndpoints(when.steps, keys);
      calledEndpoints(choose->otherwise, keys);
    }
  }
}

Health routeHealth(const Route& route, const std::map<std::string, EndpointView>& views,
                   std::vector<std::string>& keys) {
  calledEndpoints(route.steps, keys);
  Health worst = Health::idle;
  for (const auto& key : keys) {
    if (auto it = views.find(key); it != views.end()) worst = std::max(worst, it->second.status);
  }
  return worst;
}

void writeHealth(JsonWriter& w, const EndpointGuard::Health& h, Health status) {
  w.StartObject();
  writeString(w, "status", healthName(status));
  writeString(w, "breaker", h.breaker);
  w.Key("in_flight");
  w.Int(h.in_flight);
  w.Key("queued");
  w.Int(h.queued);
  w.Key("window_seconds");
  w.Int(300);
  w.Key("calls");
  w.Uint64(h.calls);
  w.Key("errors");
  w.Uint64(h.errors);
  w.Key("error_rate");
  w.Double(h.error_rate);
  w.Key("latency_mean_ms");
  w.Double(h.latency_mean_s * 1000.0);
  w.Key("latency_p95_ms");
  w.Double(h.latency_p95_s * 1000.0);
  w.EndObject();
}

void writeCounts(JsonWriter& w, const TrafficStats::Counts& counts) {
  w.Key("exchanges");
  w.Uint64(counts.exchanges);
  w.Key("failed");
  w.Uint64(counts.failed);
  w.Key("refused");
  w.Uint64(counts.refused);
  w.Key("deliveries");
  w.Uint64(counts.deliveries);
  w.Key("delivery_failures");
  w.Uint64(counts.delivery_failures);
}

std::string_view modeOf(const Route& route) {
  return route.enqueue_at ? "one-way" : "request-reply";
}

Error forbiddenTenant() {
  return makeError(ErrorKind::forbidden, "this admin key may not see this tenant");
}

// `?tenant=` resolved within the admin's scope: null and an error when out of it.
Result<const Tenant*> wantedTenant(const AdminApi::Call& call) {
  auto wanted = queryValue(call.query, "tenant");
  if (wanted.empty()) return static_cast<const Tenant*>(nullptr);
  const auto* tenant = call.generation.findTenant(wanted);
  if (!tenant || !call.admin.allowsTenant(tenant->istat, tenant->slug)) return forbiddenTenant();
  return tenant;
}

Result<std::size_t> limitOf(std::string_view query, std::size_t fallback) {
  auto text = queryValue(query, "limit");
  if (text.empty()) return fallback;
  std::size_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || value > kMaxLimit)
      return makeError(ErrorKind::bad_request, "limit: a number from 1 to 1000");
    value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  if (value < 1 || value > kMaxLimit)
    return makeError(ErrorKind::bad_request, "limit: a number from 1 to 1000");
  return value;
}

void writeExchange(JsonWriter& w, const JournalEntry& e) {
  writeString(w, "id", e.id);
  writeString(w, "tenant", e.tenant_slug);
  writeString(w, "tenant_istat", e.tenant_istat);
  writeString(w, "service", e.service);
  writeString(w, "state", entryStateName(e.state));
  writeString(w, "client", e.client);
  writeString(w, "trace_id", e.trace_id);
  w.Key("attempts");
  w.Int(e.attempts);
  writeString(w, "created", isoTime(e.created_ms));
  writeString(w, "updated", isoTime(e.updated_ms));
  writeString(w, "last_error", maskFiscalCodes(e.last_error));
}

}  // namespace

awaitable<Result<HttpResponse>> AdminApi::listTenants(const Call& call) {
  const auto& generation = call.generation;
  co_return jsonResponse(call.request, http::status::ok, json([&](JsonWriter& w) {
                           w.StartObject();
                           w.Key("tenants");
                           w.StartArray();
                           for (const auto& tenant : generation.tenants) {
                             if (!call.admin.allowsTenant(tenant->istat, tenant->slug)) continue;
                             auto views = endpointViews(bus_, *tenant);
                             Health worst = Health::idle;
                             w.StartObject();
                             writeString(w, "istat", tenant->istat);
                             writeString(w, "slug", tenant->slug);
                             writeString(w, "name", tenant->name);
                             writeString(w, "profile", tenant->profile);
                             w.Key("services");
                             w.StartArray();
                             for (const auto& [service, route] : tenant->routes) {
                               std::vector<std::string> keys;
                               const Health health = routeHealth(route, views, keys);
                               worst = std::max(worst, health);
                               w.StartObject();
                               writeString(w, "service", service);
                               writeString(w, "mode", modeOf(route));
                               writeString(w, "health", healthName(health));
                               w.EndObject();
                             }
                             w.EndArray();
                             writeString(w, "health", healthName(worst));
                             w.EndObject();
                           }
                           w.EndArray();
                           w.EndObject();
                         }));
}

awaitable<Result<HttpResponse>> AdminApi::showTenant(const Call& call) {
  const auto* tenant = call.generation.findTenant(call.params[0]);
  if (!tenant || !call.admin.allowsTenant(tenant->istat, tenant->slug)) co_return forbiddenTenant();
  auto views = endpointViews(bus_, *tenant);
  co_return jsonResponse(call.request, http::status::ok, json([&](JsonWriter& w) {
                           w.StartObject();
                           writeString(w, "istat", tenant->istat);
                           writeString(w, "slug", tenant->slug);
                           writeString(w, "name", tenant->name);
                           writeString(w, "profile", tenant->profile);
                           writeString(w, "fiscal_code", tenant->fiscal_code);
                           w.Key("routes");
                           w.StartArray();
                           for (const auto& [service, route] : tenant->routes) {
                             std::vector<std::string> keys;
                             const Health health = routeHealth(route, views, keys);
                             w.StartObject();
                             writeString(w, "service", service);
                             writeString(w, "mode", modeOf(route));
                             w.Key("methods");
                             w.StartArray();
                             for (const auto& m : route.methods) w.String(m.c_str());
                             w.EndArray();
                             w.Key("deadline_ms");
                             w.Int64(route.deadline.count());
                             w.Key("steps");
                             w.Uint64(route.steps.size());
                             w.Key("endpoints");
                             w.StartArray();
                             for (const auto& key : keys) w.String(key.c_str());
                             w.EndArray();
                             writeString(w, "health", healthName(health));
                             w.EndObject();
                           }
                           w.EndArray();
                           w.Key("endpoints");
                           w.StartArray();
                           for (const auto& [key, view] : views) {
                             w.StartObject();
                             writeString(w, "key", key);
                             writeString(w, "name", view.endpoint->name());
                             writeString(w, "type", view.endpoint->type());
                             w.Key("limits");
                             w.StartObject();
                             w.Key("max_concurrency");
                             w.Int(view.limits->max_concurrency);
                             w.Key("queue");
                             w.Int(view.limits->queue);
                             w.Key("rate_per_second");
                             w.Double(view.limits->rate);
                             w.Key("breaker_failures");
                             w.Int(view.limits->breaker_failures);
                             w.EndObject();
                             w.Key("health");
                             writeHealth(w, view.health, view.status);
                             w.EndObject();
                           }
                           w.EndArray();
                           w.Key("sources");
                           w.StartArray();
                           for (const auto& [key, source] : tenant->sources) w.String(key.c_str());
                           w.EndArray();
                           w.EndObject();
                         }));
}

awaitable<Result<HttpResponse>> AdminApi::searchExchanges(const Call& call) {
  Journal* journal = bus_.journal();
  if (!journal) co_return makeError(ErrorKind::unavailable, "the bus has no journal");
  ExchangeQuery query;
  auto tenant = wantedTenant(call);
  if (!tenant) co_return std::move(tenant).error();
  if (*tenant) {
    query.tenants.push_back((*tenant)->istat);
  } else if (!call.admin.allTenants()) {
    for (const auto& t : call.generation.tenants) {
      if (call.admin.allowsTenant(t->istat, t->slug)) query.tenants.push_back(t->istat);
    }
    if (query.tenants.empty()) query.tenants.push_back("-");  // matches nothing
  }
  if (!decodedQueryValue(call.query, "service", query.service))
    co_return makeError(ErrorKind::bad_request, "service: malformed percent-encoding");
  if (auto state = queryValue(call.query, "state"); !state.empty()) {
    query.state = entryStateFromName(state);
    if (!query.state) {
      co_return makeError(ErrorKind::bad_request,
                          "state: one of queued, delivering, delivered, dead, discarded");
    }
  }
  for (auto [name, bound] : {std::pair{"since", &query.since}, std::pair{"until", &query.until}}) {
    std::string text;
    if (!decodedQueryValue(call.query, name, text))
      co_return makeError(ErrorKind::bad_request, std::string(name) + ": malformed");
    if (text.empty()) continue;
    auto ms = parseIsoTime(text);
    if (!ms) {
      co_return makeError(ErrorKind::bad_request,
                          std::string(name) + ": an RFC 3339 time, e.g. 2026-11-26T08:00:00Z");
    }
    *bound = *ms;
  }
  auto limit = limitOf(call.query, 100);
  if (!limit) co_return std::move(limit).error();
  query.limit = *limit;
  auto found = co_await journal->searchExchanges(std::move(query));
  if (!found) co_return std::move(found).error();
  co_return jsonResponse(call.request, http::status::ok, json([&](JsonWriter& w) {
                           w.StartObject();
                           w.Key("exchanges");
                           w.StartArray();
                           for (const auto& e : *found) {
                             if (!call.admin.allowsTenant(e.tenant_istat, e.tenant_slug)) continue;
                             w.StartObject();
                             writeExchange(w, e);
                             w.EndObject();
                           }
                           w.EndArray();
                           w.EndObject();
                         }));
}

// The payload only with ?payload=true&reason=...: who read it, and why, goes to the audit
// trail (and the log) before it is returned; without an audit trail it is not returned.
awaitable<Result<HttpResponse>> AdminApi::showExchange(const Call& call) {
  Journal* journal = bus_.journal();
  if (!journal) co_return makeError(ErrorKind::unavailable, "the bus has no journal");
  const auto payload = queryValue(call.query, "payload");
  if (!payload.empty() && payload != "true" && payload != "false")
    co_return makeError(ErrorKind::bad_request, "payload: true or false");
  const bool with_payload = payload == "true";
  std::string reason;
  if (!decodedQueryValue(call.query, "reason", reason))
    co_return makeError(ErrorKind::bad_request, "reason: malformed percent-encoding");
  if (with_payload && reason.find_first_not_of(" \t") == std::string::npos) {
    co_return makeError(ErrorKind::bad_request,
                        "payload=true needs reason=...: reading a payload is audited");
  }
  ExchangeQuery query;
  query.id = call.params[0];
  query.limit = 1;
  auto found = co_await journal->searchExchanges(std::move(query));
  if (!found) co_return std::move(found).error();
  if (found->empty() ||
      !call.admin.allowsTenant(found->front().tenant_istat, found->front().tenant_slug)) {
    co_return makeError(ErrorKind::not_found, "no exchange " + call.params[0]);
  }
  const auto& entry = found->front();
  std::string id = entry.id;
  auto history = co_await journal->exchangeHistory(std::move(id));
  if (!history) co_return std::move(history).error();
  if (with_payload) {
    AuditTrail* audit = bus_.audit();
    if (!audit) {
      co_return makeError(ErrorKind::unavailable,
                          "payloads are shown only when the audit trail can record it");
    }
    reason = maskFiscalCodes(reason);
    AuditRecord record;
    record.exchange_id = entry.id;
    record.tenant = entry.tenant_istat;
    record.client = call.admin.name;
    record.service = "admin.exchanges.payload";
    record.outcome = "ok";
    record.detail = reason;
    audit->record(std::move(record));
    logEvent(LogLevel::info, "exchange payload disclosed",
             {{"id", entry.id}, {"by", call.admin.name}, {"reason", reason}});
  }
  co_return jsonResponse(call.request, http::status::ok, json([&](JsonWriter& w) {
                           w.StartObject();
                           writeExchange(w, entry);
                           if (with_payload) {
                             writeString(w, "payload", entry.body);
                           } else {
                             w.Key("payload");
                             w.Null();
                             writeString(w, "payload_note",
                                         "redacted: ask with ?payload=true&reason=... (audited)");
                           }
                           w.Key("history");
                           w.StartArray();
                           for (const auto& event : *history) {
                             w.StartObject();
                             writeString(w, "at", isoTime(event.at_ms));
                             writeString(w, "kind", event.kind);
                             if (event.kind == "attempt") {
                               w.Key("attempt");
                               w.Int(event.attempt);
                               writeString(w, "outcome", event.outcome);
                               writeString(w, "error", maskFiscalCodes(event.detail));
                             } else {
                               writeString(w, "by", event.who);
                               writeString(w, "reason", event.detail);
                             }
                             w.EndObject();
                           }
                           w.EndArray();
                           w.EndObject();
                         }));
}

awaitable<Result<HttpResponse>> AdminApi::listBatches(const Call& call) {
  Journal* journal = bus_.journal();
  if (!journal) co_return makeError(ErrorKind::unavailable, "the bus has no journal");
  auto tenant = wantedTenant(call);
  if (!tenant) co_return std::move(tenant).error();
  auto limit = limitOf(call.query, 50);
  if (!limit) co_return std::move(limit).error();
  // An admin of some tenants reads each of theirs; the journal's order is kept by merging.
  std::vector<std::string> tenants;
  if (*tenant) {
    tenants.push_back((*tenant)->istat);
  } else if (!call.admin.allTenants()) {
    for (const auto& t : call.generation.tenants) {
      if (call.admin.allowsTenant(t->istat, t->slug)) tenants.push_back(t->istat);
    }
  } else {
    tenants.emplace_back();  // every tenant
  }
  std::vector<BatchFile> batches;
  for (auto istat : tenants) {
    auto listed = co_await journal->listBatches(std::move(istat), *limit);
    if (!listed) co_return std::move(listed).error();
    batches.insert(batches.end(), listed->begin(), listed->end());
  }
  std::stable_sort(batches.begin(), batches.end(), [](const BatchFile& a, const BatchFile& b) {
    return a.started_ms > b.started_ms;
  });
  if (batches.size() > *limit) batches.resize(*limit);
  std::map<std::string, std::string> slugs;
  for (const auto& t : call.generation.tenants) slugs[t->istat] = t->slug;
  co_return jsonResponse(call.request, http::status::ok, json([&](JsonWriter& w) {
                           w.StartObject();
                           w.Key("batches");
                           w.StartArray();
                           for (const auto& b : batches) {
                             w.StartObject();
                             writeString(w, "id", b.id);
                             writeString(w, "tenant", slugs[b.tenant_istat]);
                             writeString(w, "tenant_istat", b.tenant_istat);
                             writeString(w, "source", b.source);
                             writeString(w, "file", b.file_name);
                             writeString(w, "state", batchStateName(b.state));
                             w.Key("rows_total");
                             w.Int64(b.rows_total);
                             w.Key("rows_done");
                             w.Int64(b.rows_done);
                             w.Key("rows_failed");
                             w.Int64(b.rows_failed);
                             const double seconds =
                                 static_cast<double>(b.updated_ms - b.started_ms) / 1000.0;
                             w.Key("rows_per_second");
                             w.Double(seconds > 0 ? static_cast<double>(b.rows_done) / seconds : 0);
                             writeString(w, "started", isoTime(b.started_ms));
                             writeString(w, "updated", isoTime(b.updated_ms));
                             writeString(w, "detail", b.detail);
                             w.EndObject();
                           }
                           w.EndArray();
                           w.EndObject();
                         }));
}

awaitable<Result<HttpResponse>> AdminApi::trafficStats(const Call& call) {
  auto tenant = wantedTenant(call);
  if (!tenant) co_return std::move(tenant).error();
  std::map<std::string, std::string> visible;  // ISTAT -> slug, within the scope and filter
  for (const auto& t : call.generation.tenants) {
    if (*tenant ? t.get() == *tenant : call.admin.allowsTenant(t->istat, t->slug))
      visible[t->istat] = t->slug;
  }
  auto stats = bus_.runtime().shared<TrafficStats>([] { return std::make_shared<TrafficStats>(); });
  const auto buckets = stats->snapshot(nowMs());
  co_return jsonResponse(call.request, http::status::ok, json([&](JsonWriter& w) {
                           w.StartObject();
                           w.Key("bucket_seconds");
                           w.Int64(TrafficStats::kBucketMs / 1000);
                           w.Key("buckets");
                           w.StartArray();
                           for (const auto& bucket : buckets) {
                             TrafficStats::Counts total;
                             w.StartObject();
                             writeString(w, "start", isoTime(bucket.start_ms));
                             w.Key("tenants");
                             w.StartObject();
                             for (const auto& [istat, counts] : bucket.tenants) {
                               auto slug = visible.find(istat);
                               if (slug == visible.end()) continue;
                               total.exchanges += counts.exchanges;
                               total.failed += counts.failed;
                               total.refused += counts.refused;
                               total.deliveries += counts.deliveries;
                               total.delivery_failures += counts.delivery_failures;
                               w.Key(slug->second.c_str());
                               w.StartObject();
                               writeCounts(w, counts);
                               w.EndObject();
                             }
                             w.EndObject();
                             writeCounts(w, total);
                             w.EndObject();
                           }
                           w.EndArray();
                           w.EndObject();
                         }));
}

}  // namespace egov::core
