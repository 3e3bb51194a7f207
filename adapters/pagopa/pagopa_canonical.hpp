// Between the wire messages of the node and the canonical pagoPA messages of the routes
// (schemas/pagopa/canonical.xsd, namespace urn:egovbus:pagopa). Requests: built from the
// validated wire payload. Responses: read from what the route answered, already valid
// against the canonical schema, and written as the operation's official response; every
// rule the schema cannot say (1-5 transfers adding up to the amount, stamps only in V2, the
// status of the notice) is checked here. Pure functions, any thread.
#pragma once

#include <string>
#include <variant>

#include "adapters/pagopa/notice_number.hpp"
#include "adapters/pagopa/pagopa_config.hpp"
#include "adapters/pagopa/pagopa_wire.hpp"

namespace egov::adapters::pagopa {

inline constexpr const char* kCanonicalNs = "urn:egovbus:pagopa";

// verifyRequest, activateRequest (version 1 or 2), demandRequest.
core::XmlDocPtr canonicalRequest(const OperationInfo& operation, const xmlNode& wire,
                                 const NoticeNumber* notice);

// The receipt of paSendRT[V2], with role creditor or beneficiary (see canonical.xsd).
core::XmlDocPtr canonicalReceipt(const OperationInfo& operation, const xmlNode& wire,
                                 bool beneficiary_only);

// What the node is answered: an OK payload, or a fault.
using Answer = std::variant<core::XmlDocPtr, Fault>;

// From the route's canonical response (valid against the canonical schema) to the
// operation's OK payload; a notice that is not payable gives its PAA_PAGAMENTO_* fault, an
// answer that breaks the rules PAA_SYSTEM_ERROR.
Answer wireResponse(const OperationInfo& operation, const xmlDoc& canonical,
                    const TenantSettings& tenant, const NoticeNumber* notice);

// The OK of paSendRT[V2].
core::XmlDocPtr receiptAccepted(const OperationInfo& operation);

}  // namespace egov::adapters::pagopa
