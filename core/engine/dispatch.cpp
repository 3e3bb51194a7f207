#include "core/engine/dispatch.hpp"

#include <libxml/tree.h>

#include "core/engine/citizen_access.hpp"
#include "core/engine/route_runner.hpp"
#include "core/metrics/traffic.hpp"
#include "core/security/audit_trail.hpp"

namespace egov::core {
namespace {

// The first fiscal code in the body's text and attribute values, in document order: what
// findFiscalCode(serializeXml(body)) finds, without serializing the body (a 1,000-row chunk
// of a csv source is ~100 KB of XML, and a match is usually in its first row).
std::string firstFiscalCode(const xmlNode* node) {
  for (; node; node = node->next) {
    if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
      if (node->content) {
        auto found = findFiscalCode(reinterpret_cast<const char*>(node->content));
        if (!found.empty()) return found;
      }
      continue;
    }
    if (node->type != XML_ELEMENT_NODE) continue;
    for (const ::xmlAttr* attr = node->properties; attr; attr = attr->next) {
      auto found = firstFiscalCode(attr->children);
      if (!found.empty()) return found;
    }
    auto found = firstFiscalCode(node->children);
    if (!found.empty()) return found;
  }
  return {};
}

awaitable<Result<Submitted>> submit(Bus& bus, const Generation& generation, const Tenant& tenant,
                                    const Route& route, Exchange& exchange,
                                    Submission& submission) {
  // A route's `require` holds whichever inbound brought the exchange (only the REST API
  // identifies citizens, so a route that requires one is refused everywhere else).
  if (auto access = checkCitizenAccess(route, exchange); !access)
    co_return std::move(access).error();
  if (!route.enqueue_at) {
    auto done = co_await runRoute(generation, tenant, route, exchange, bus.metrics());
    if (!done) co_return std::move(done).error();
    co_return Submitted{};
  }
  Journal* journal = bus.journal();
  if (!journal) co_return makeError(ErrorKind::unavailable, "one-way services need the journal");
  auto before =
      co_await runRoute(generation, tenant, route, exchange, bus.metrics(), 0, *route.enqueue_at);
  if (!before) co_return std::move(before).error();
  auto order_key = orderKeyOf(route, tenant, exchange);
  if (!order_key) co_return std::move(order_key).error();

  JournalEntry entry;
  entry.id = exchange.id;
  entry.tenant_istat = tenant.istat;
  entry.tenant_slug = tenant.slug;
  entry.service = exchange.service;
  entry.method = exchange.method;
  entry.trace_id = exchange.trace_id;
  entry.client = exchange.identity.client;
  entry.body = serializeXml(*exchange.body);
  entry.resume_step = static_cast<int>(*route.enqueue_at);
  entry.idempotency_key = std::move(submission.idempotency_key);
  entry.order_key = std::move(order_key).value();
  const auto window =
      submission.idempotency_window.value_or(generation.bus.journal.idempotency_window);
  // Straight to a free delivery slot when there is one: stored claimed, and delivered from
  // the body in hand. An ordered entry is claimed in its turn, after the entries before it.
  DeliveryDesk* desk = bus.delivery();
  if (!desk || !entry.order_key.empty() || !desk->reserve()) {
    auto stored = co_await journal->enqueue(std::move(entry), window);
    if (!stored) co_return std::move(stored).error();
    if (desk) desk->wake();
    co_return Submitted{true, stored->duplicate, stored->id};
  }
  std::string body = std::move(entry.body);
  JournalEntry claimed = entry;  // what deliverClaimed needs: the entry without its text
  entry.body = std::move(body);
  // The stored created_ms is the journal thread's clock at the insert, a little later: max_age
  // counts from here, at most that much sooner.
  claimed.created_ms = nowMs();
  auto stored =
      co_await journal->enqueueClaimed(std::move(entry), window, generation.bus.journal.lease);
  if (!stored || stored->duplicate) {
    desk->release();
    if (!stored) co_return std::move(stored).error();
    co_return Submitted{true, true, stored->id};
  }
  claimed.state = EntryState::delivering;
  claimed.lease_token = stored->lease_token;
  // The caller reads the exchange's id from here on, not its body (submitExchange's comment).
  desk->deliverClaimed(std::move(claimed), std::move(exchange.body));
  co_return Submitted{true, false, stored->id};
}

}  // namespace

awaitable<Result<Submitted>> submitExchange(Bus& bus, const Generation& generation,
                                            const Tenant& tenant, const Route& route,
                                            Exchange& exchange, Submission submission) {
  // An exchange touches personal data when it carries a citizen's fiscal code (the SPID
  // identity, or one in the request) or its service is listed in audit.services. The
  // request is read before the route changes the body.
  AuditTrail* audit = bus.audit();
  AuditRecord record;
  bool audited = false;
  if (audit) {
    auto fiscal_code = exchange.identity.citizen_fiscal_code;
    if (fiscal_code.empty() && exchange.body)
      fiscal_code = firstFiscalCode(exchange.body->children);
    if (!fiscal_code.empty()) record.citizen = audit->pseudonymise(fiscal_code);
    audited = !record.citizen.empty() || audit->auditsService(exchange.service);
  }
  // By reference: g++ 12 can destroy a by-value argument of a coroutine call twice.
  auto result = co_await submit(bus, generation, tenant, route, exchange, submission);
  // The admin console's throughput and error charts.
  bus.runtime()
      .shared<TrafficStats>([] { return std::make_shared<TrafficStats>(); })
      ->record(tenant.istat, result ? Result<void>{} : Result<void>{result.error()}, nowMs());
  if (audited) {
    record.exchange_id = result && result->queued ? result->journal_id : exchange.id;
    record.tenant = tenant.istat;
    record.client = exchange.identity.client;
    record.service = exchange.service;
    record.outcome = !result             ? std::string(errorKindName(result.error().kind))
                     : result->duplicate ? "duplicate"
                     : result->queued    ? "queued"
                                         : "ok";
    audit->record(std::move(record));
  }
  co_return result;
}

}  // namespace egov::core
