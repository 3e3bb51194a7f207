// The `soap` inbound handler: a SOAP service the bus offers to legacy callers, declared in
// bus.yaml under `inbound:`.
//
//   inbound:
//     tributi:
//       type: soap
//       path: /soap/{tenant}/tributi       # {tenant}: ISTAT code or slug (or `tenant:` fixed)
//       wsdl: ../wsdl/tributi.wsdl         # served at ?wsdl, with soap:address set to this path
//       schema: ../schemas/tributi.xsd     # every request's payload is validated against it
//       version: any                       # "1.1", "1.2" or any (default): what is accepted
//       operations:                        # the Body's root element -> the service it runs
//         "{urn:comune:tributi:posizioni}ElencoPosizioniRichiesta": tributi.posizioni
//
// Relative paths are resolved against bus.yaml's folder. A request runs the service's route
// for the tenant with the Body's element as the body (document/literal); the route's reply
// becomes the Body of the answer, in the request's SOAP version. A one-way route answers
// 202 with no body once the exchange is journaled (Idempotency-Key is honoured). Every
// error is a SOAP fault of the request's version: Client/Sender for what the caller can
// fix (malformed XML, not an envelope, a mustUnderstand header, an unknown operation or
// tenant, a schema violation), Server/Receiver otherwise, with the bus's error kind and
// exchange id in the fault detail (<egov:error xmlns:egov="urn:egovbus:soap" kind=".."
// exchange-id=".."/>).
#pragma once

#include <memory>

#include "core/engine/endpoint.hpp"
#include "core/engine/inbound.hpp"

namespace egov::adapters::soap {

std::shared_ptr<core::InboundHandler> makeSoapInbound(const core::InboundContext& context);

}  // namespace egov::adapters::soap
