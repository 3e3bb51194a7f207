// The creditor interface the pagoPA node calls (paForNode), answering for every municipality
// with a `pagopa:` section: one handler per `type: pagopa` entry of bus.yaml `inbound:`.
//
// A request: SOAP 1.1 envelope → operation by the Body's root element → wire schema →
// tenant by idPA, then idBrokerPA and idStation against its settings → notice number check
// digits → the canonical request on the tenant's route (pagopa.verify, pagopa.activate,
// pagopa.receipt one-way, pagopa.demand) → the canonical response checked and written as the
// official response, itself validated before it leaves. Every failure is the operation's
// response with outcome KO and a fault bean; only a request no operation can be told from
// gets a SOAP Client fault. The answer is never later than the deadline: PAA_SYSTEM_ERROR is
// answered `margin` before it while the route goes on in the background.
#pragma once

#include <map>
#include <memory>

#include "adapters/pagopa/pagopa_config.hpp"
#include "adapters/pagopa/pagopa_wire.hpp"
#include "core/engine/endpoint.hpp"

namespace egov::adapters::pagopa {

class PagopaInbound final : public core::InboundHandler,
                            public std::enable_shared_from_this<PagopaInbound> {
 public:
  PagopaInbound(std::string name, InboundSettings settings,
                std::shared_ptr<const core::XsdSchema> wire_schema,
                std::shared_ptr<const core::XsdSchema> canonical_schema,
                std::map<std::string, TenantSettings> tenants, core::Metrics& metrics);

  awaitable<HttpResponse> handle(core::InboundRequest request) override;
  // A caller the listener or the client's scope refuses: a SOAP 1.1 Client fault with the
  // refusal's 401 or 403 (the node's stacks read faults, not problem+json).
  HttpResponse refuse(const core::InboundRequest& request, const core::Error& error) const override;

  struct Reply {
    std::string body;         // the SOAP envelope
    bool soap_fault = false;  // a SOAP Fault (HTTP 500) rather than a response
    std::string outcome;      // OK or the faultCode, for metrics and the log
    std::string description;  // of the fault, for the log
  };

 private:
  struct Call;  // one request past the checks, on its route

  Reply answer(const OperationInfo& operation, const xmlDoc& payload, std::string_view id) const;
  Reply fault(const OperationInfo& operation, Fault fault, std::string_view id) const;
  awaitable<Reply> runRoute(std::shared_ptr<Call> call) const;
  HttpResponse toHttp(const core::InboundRequest& request, const Reply& reply,
                      const std::string& tenant, const char* operation) const;

  InboundSettings settings_;
  std::shared_ptr<const core::XsdSchema> wire_schema_;
  std::shared_ptr<const core::XsdSchema> canonical_schema_;
  std::map<std::string, TenantSettings> tenants_;  // by fiscal code (idPA)
  std::string broker_id_;  // the fault id when the creditor is unknown: the broker's
  core::Metrics& metrics_;
};

}  // namespace egov::adapters::pagopa
