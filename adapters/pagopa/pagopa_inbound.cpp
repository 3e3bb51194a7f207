#include "adapters/pagopa/pagopa_inbound.hpp"

#include <optional>

#include "adapters/pagopa/notice_number.hpp"
#include "adapters/pagopa/pagopa_canonical.hpp"
#include "core/common/ids.hpp"
#include "core/engine/bus.hpp"
#include "core/engine/dispatch.hpp"
#include "core/log/log.hpp"
#include "core/net/problem.hpp"
#include "core/security/authenticator.hpp"

namespace egov::adapters::pagopa {

using core::Clock;

// One request that passed the checks, with everything its route needs. Shared with the
// coroutine that runs the route, which may outlive the HTTP request when the deadline
// passes first; `generation` keeps the tenant, the route and this handler alive.
struct PagopaInbound::Call {
  const OperationInfo* operation = nullptr;
  core::XmlDocPtr wire;
  std::optional<NoticeNumber> notice;
  const TenantSettings* settings = nullptr;
  const core::Tenant* tenant = nullptr;
  const core::Route* route = nullptr;
  core::Bus* bus = nullptr;
  const core::Generation* generation = nullptr;
  std::shared_ptr<const core::Generation> keep;
  core::Exchange exchange;
  std::string receipt_id;
};

PagopaInbound::PagopaInbound(std::string name, InboundSettings settings,
                             std::shared_ptr<const core::XsdSchema> wire_schema,
                             std::shared_ptr<const core::XsdSchema> canonical_schema,
                             std::map<std::string, TenantSettings> tenants, core::Metrics& metrics)
    : InboundHandler(std::move(name), "pagopa"),
      settings_(std::move(settings)),
      wire_schema_(std::move(wire_schema)),
      canonical_schema_(std::move(canonical_schema)),
      tenants_(std::move(tenants)),
      metrics_(metrics) {
  broker_id_ = settings_.id_broker_pa;
  if (broker_id_.empty() && !tenants_.empty()) broker_id_ = tenants_.begin()->second.id_broker_pa;
  metrics_.declareCounter(
      "egov_pagopa_requests_total",
      "pagoPA node requests by tenant, operation and outcome (OK or faultCode).");
  metrics_.declareHistogram("egov_pagopa_request_duration_seconds",
                            "Time to answer the pagoPA node, by operation.");
}

PagopaInbound::Reply PagopaInbound::fault(const OperationInfo& operation, Fault fault,
                                          std::string_view id) const {
  auto doc = faultResponse(operation, fault, id);
  return Reply{doc ? envelope(*doc) : soapClientFault("out of memory"), !doc, fault.code,
               std::move(fault.description)};
}

PagopaInbound::Reply PagopaInbound::answer(const OperationInfo& operation, const xmlDoc& payload,
                                           std::string_view id) const {
  // A malformed answer would make every payment of the municipality fail at the node: the
  // last check before it leaves is the schema.
  if (auto valid = wire_schema_->validate(payload); !valid) {
    return fault(
        operation,
        Fault{"PAA_SYSTEM_ERROR", "the answer would break the schema: " + valid.error().message},
        id);
  }
  return Reply{envelope(payload), false, "OK", {}};
}

awaitable<PagopaInbound::Reply> PagopaInbound::runRoute(std::shared_ptr<Call> call) const {
  const auto& operation = *call->operation;
  const auto& id = call->settings->fiscal_code;
  core::Submission submission;
  const bool receipt =
      operation.operation == Operation::send_rt || operation.operation == Operation::send_rt_v2;
  if (receipt) {
    submission.idempotency_key = "pagopa-receipt:" + call->receipt_id;
    submission.idempotency_window = settings_.receipt_window;
  }
  auto submitted = co_await core::submitExchange(*call->bus, *call->generation, *call->tenant,
                                                 *call->route, call->exchange, submission);
  if (!submitted) {
    const auto& error = submitted.error();
    std::string code = "PAA_SYSTEM_ERROR";
    if (error.kind == core::ErrorKind::not_found && !receipt) code = "PAA_PAGAMENTO_SCONOSCIUTO";
    if (error.kind == core::ErrorKind::bad_request && receipt) code = "PAA_SEMANTICA";
    co_return fault(
        operation, Fault{code, std::string(core::errorKindName(error.kind)) + ": " + error.message},
        id);
  }
  if (receipt) {
    if (!submitted->queued) {
      co_return fault(operation, Fault{"PAA_SYSTEM_ERROR", "the receipt was not journaled"}, id);
    }
    if (submitted->duplicate && call->settings->duplicate_receipt == DuplicateReceipt::fault) {
      co_return fault(operation,
                      Fault{"PAA_RECEIPT_DUPLICATA", "receipt " + call->receipt_id +
                                                         " was received before (exchange " +
                                                         submitted->journal_id + ")"},
                      id);
    }
    co_return answer(operation, *receiptAccepted(operation), id);
  }
  if (auto valid = canonical_schema_->validate(*call->exchange.body); !valid) {
    co_return fault(operation,
                    Fault{"PAA_SYSTEM_ERROR", "the route's answer is not a canonical " +
                                                  std::string(operation.service) +
                                                  " response: " + valid.error().message},
                    id);
  }
  auto response = wireResponse(operation, *call->exchange.body, *call->settings,
                               call->notice ? &*call->notice : nullptr);
  if (auto* refused = std::get_if<Fault>(&response)) co_return fault(operation, *refused, id);
  co_return answer(operation, *std::get<core::XmlDocPtr>(response), id);
}

HttpResponse PagopaInbound::toHttp(const core::InboundRequest& request, const Reply& reply,
                                   const std::string& tenant, const char* operation) const {
  // SOAP 1.1 answers a Fault with 500; a KO response is an ordinary 200 response.
  HttpResponse response{reply.soap_fault ? http::status::internal_server_error : http::status::ok,
                        request.http.version()};
  response.set(http::field::content_type, "text/xml; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.http.keep_alive());
  response.body() = reply.body;
  response.prepare_payload();
  metrics_.add("egov_pagopa_requests_total",
               {{"tenant", tenant}, {"operation", operation}, {"outcome", reply.outcome}});
  core::logEvent(reply.outcome == "OK"                 ? core::LogLevel::info
                 : reply.outcome == "PAA_SYSTEM_ERROR" ? core::LogLevel::error
                                                       : core::LogLevel::warn,
                 "pagopa",
                 {{"operation", operation},
                  {"tenant", tenant},
                  {"outcome", reply.outcome},
                  {"detail", reply.description}});
  return response;
}

HttpResponse PagopaInbound::refuse(const core::InboundRequest& request,
                                   const core::Error& error) const {
  HttpResponse response{static_cast<http::status>(core::httpStatus(error.kind)),
                        request.http.version()};
  response.set(http::field::content_type, "text/xml; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  if (error.kind == core::ErrorKind::unauthorized)
    response.set(http::field::www_authenticate, "Bearer");
  if (error.retry_after_s > 0)
    response.set(http::field::retry_after, std::to_string(error.retry_after_s));
  response.keep_alive(request.http.keep_alive());
  response.body() =
      soapClientFault(std::string(core::errorKindName(error.kind)) + ": " + error.message);
  response.prepare_payload();
  metrics_.add("egov_pagopa_requests_total",
               {{"tenant", "unknown"}, {"operation", "unknown"}, {"outcome", "REFUSED"}});
  core::logEvent(core::LogLevel::warn, "pagopa caller refused",
                 {{"client", std::string_view(request.clientName())},
                  {"detail", std::string_view(error.message)}});
  return response;
}

awaitable<HttpResponse> PagopaInbound::handle(core::InboundRequest request) {
  const auto started = Clock::now();
  const auto reply_by = started + settings_.deadline - settings_.margin;
  auto finish = [&](const Reply& reply, const std::string& tenant, const char* operation) {
    metrics_.observe("egov_pagopa_request_duration_seconds", {{"operation", operation}},
                     std::chrono::duration<double>(Clock::now() - started).count());
    return toHttp(request, reply, tenant, operation);
  };
  const auto& broker = broker_id_;

  if (request.http.method() != http::verb::post) {
    Reply reply{soapClientFault("the pagoPA creditor interface takes SOAP 1.1 requests by POST"),
                true, "SOAP_FAULT", "not a POST"};
    co_return finish(reply, "unknown", "unknown");
  }
  const auto& limits = request.generation.bus.limits;
  core::XmlLimits xml_limits;
  xml_limits.max_bytes = limits.max_body_bytes;
  xml_limits.max_depth = limits.xml_depth;
  auto wire = readRequest(request.http.body(), xml_limits, *wire_schema_);
  if (!wire.operation) {
    Reply reply{soapClientFault("PAA_SINTASSI_EXTRAXSD: " + wire.fault.description), true,
                "SOAP_FAULT", wire.fault.description};
    co_return finish(reply, "unknown", "unknown");
  }
  const auto& operation = *wire.operation;
  if (!wire.payload) {
    co_return finish(fault(operation, std::move(wire.fault), broker), "unknown", operation.name);
  }

  const xmlNode* root = xmlDocGetRootElement(wire.payload.get());
  const auto id_pa = wireText(root, "idPA");
  auto found = tenants_.find(id_pa);
  // A client scoped to some municipalities learns nothing of the others: an idPA it may not
  // use and one the broker does not serve are both 403.
  const core::Tenant* scoped =
      found == tenants_.end() ? nullptr : request.generation.findTenant(found->second.istat);
  if (request.principal && !request.principal->allTenants() &&
      (!scoped || !request.principal->allowsTenant(scoped->istat, scoped->slug))) {
    co_return this->refuse(request, core::makeError(core::ErrorKind::forbidden,
                                                    "this client may not call this service"));
  }
  if (found == tenants_.end()) {
    co_return finish(fault(operation,
                           Fault{"PAA_ID_DOMINIO_ERRATO",
                                 "idPA " + id_pa + " is not a creditor institution of this broker"},
                           broker),
                     "unknown", operation.name);
  }
  const TenantSettings& settings = found->second;
  const core::Tenant* tenant = request.generation.findTenant(settings.istat);
  const std::string slug = tenant ? tenant->slug : settings.istat;
  auto refuse = [&](std::string code, std::string description) {
    return finish(fault(operation, Fault{std::move(code), std::move(description)}, id_pa), slug,
                  operation.name);
  };
  if (const auto id_broker = wireText(root, "idBrokerPA"); id_broker != settings.id_broker_pa) {
    co_return refuse("PAA_ID_INTERMEDIARIO_ERRATO",
                     "idBrokerPA " + id_broker + " is not the broker of " + id_pa);
  }
  if (const auto station = wireText(root, "idStation"); !settings.id_stations.contains(station)) {
    co_return refuse("PAA_STAZIONE_INT_ERRATA",
                     "idStation " + station + " is not a station of " + id_pa);
  }
  if (!tenant) co_return refuse("PAA_SYSTEM_ERROR", "tenant " + settings.istat + " is gone");
  // The node's credential must cover this creditor (with `auth: none`, anybody may call).
  if (auto allowed = request.authorize(*tenant, operation.service); !allowed) {
    co_return this->refuse(request, allowed.error());
  }
  if (operation.operation == Operation::demand && !settings.demand_payment_notice) {
    co_return refuse("PAA_SEMANTICA", "paDemandPaymentNotice is not offered by " + id_pa);
  }

  auto call = std::make_shared<Call>();
  call->operation = &operation;
  call->settings = &settings;
  call->tenant = tenant;
  call->bus = &request.bus;
  call->generation = &request.generation;
  core::XmlDocPtr canonical;
  switch (operation.operation) {
    case Operation::verify:
    case Operation::get_payment:
    case Operation::get_payment_v2: {
      const xmlNode* qr = wireChild(root, "qrCode");
      if (const auto creditor = wireText(qr, "fiscalCode"); creditor != id_pa) {
        co_return refuse("PAA_ID_DOMINIO_ERRATO",
                         "the notice's creditor " + creditor + " is not idPA " + id_pa);
      }
      auto notice = parseNoticeNumber(wireText(qr, "noticeNumber"));
      if (!notice) co_return refuse("PAA_PAGAMENTO_SCONOSCIUTO", notice.error().message);
      call->notice = std::move(notice).value();
      canonical = canonicalRequest(operation, *root, &*call->notice);
      break;
    }
    case Operation::send_rt:
    case Operation::send_rt_v2: {
      const xmlNode* receipt = wireChild(root, "receipt");
      call->receipt_id = wireText(receipt, "receiptId");
      bool beneficiary = false;
      if (wireText(receipt, "fiscalCode") != id_pa) {
        // Receipts go to every creditor a transfer pays, not only to the notice's owner.
        for (const xmlNode* t = wireChild(wireChild(receipt, "transferList"), "transfer"); t;
             t = t->next) {
          if (t->type == XML_ELEMENT_NODE && wireText(t, "fiscalCodePA") == id_pa)
            beneficiary = true;
        }
        if (!beneficiary) {
          co_return refuse("PAA_SEMANTICA",
                           "receipt " + call->receipt_id + " pays nothing to " + id_pa);
        }
      }
      if (auto notice = parseNoticeNumber(wireText(receipt, "noticeNumber")); !notice) {
        co_return refuse("PAA_SEMANTICA", notice.error().message);
      }
      canonical = canonicalReceipt(operation, *root, beneficiary);
      break;
    }
    case Operation::demand:
      canonical = canonicalRequest(operation, *root, nullptr);
      break;
  }
  if (!canonical) co_return refuse("PAA_SYSTEM_ERROR", "out of memory");
  call->route = core::Generation::findRoute(*tenant, operation.service);
  if (!call->route) {
    co_return refuse("PAA_SYSTEM_ERROR",
                     "tenant " + slug + " has no route for " + operation.service);
  }
  auto& exchange = call->exchange;
  exchange.id = core::newTimeOrderedUuid();
  exchange.trace_id = exchange.id;
  exchange.tenant_istat = tenant->istat;
  exchange.tenant_slug = tenant->slug;
  exchange.service = operation.service;
  exchange.method = "POST";
  exchange.identity.client = request.principal ? request.clientName() : "pagopa-node";
  exchange.body = std::move(canonical);
  exchange.deadline = reply_by;
  call->wire = std::move(wire.payload);

  // The route may not outlive the generation it runs on. Unless a reload swapped it in the
  // meantime, the current one is the request's: keep it, and answer at the deadline whatever
  // the route is doing. Otherwise wait for the route, bounded by the exchange's deadline.
  call->keep = request.bus.generation();
  if (call->keep.get() != &request.generation) {
    call->keep.reset();
    auto reply = co_await runRoute(call);
    co_return finish(reply, slug, operation.name);
  }
  struct Race {
    explicit Race(const net::any_io_executor& executor) : timer(executor) {}
    net::steady_timer timer;
    std::optional<Reply> reply;
  };
  auto executor = co_await net::this_coro::executor;
  auto race = std::make_shared<Race>(executor);
  race->timer.expires_at(reply_by);
  auto work = [self = shared_from_this(), call, race]() -> awaitable<void> {
    auto reply = co_await self->runRoute(call);
    race->reply = std::move(reply);
    race->timer.cancel();
  };
  // Same executor (the connection's strand): the route, the timer and this coroutine never
  // run at once.
  net::co_spawn(executor, std::move(work), net::detached);
  boost::system::error_code ignored;
  co_await race->timer.async_wait(net::redirect_error(net::use_awaitable, ignored));
  if (!race->reply) {
    const auto seconds = std::chrono::duration<double>(settings_.deadline).count();
    co_return finish(fault(operation,
                           Fault{"PAA_SYSTEM_ERROR",
                                 "no answer from the municipality's back-end "
                                 "within the node's deadline of " +
                                     std::to_string(seconds).substr(0, 4) + " s"},
                           id_pa),
                     slug, operation.name);
  }
  co_return finish(*race->reply, slug, operation.name);
}

}  // namespace egov::adapters::pagopa
