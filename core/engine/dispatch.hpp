// Submitting an exchange to its route, the same way from every inbound: the REST API, SOAP
// inbound, the pagoPA endpoint, file and database sources.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/engine/bus.hpp"

namespace egov::core {

struct Submission {
  std::string idempotency_key;  // empty: none; otherwise dedupes per tenant
  // How long the key dedupes; the journal's configured window when empty.
  std::optional<std::chrono::milliseconds> idempotency_window;
};

struct Submitted {
  bool queued = false;     // one-way: durably journaled, delivered later
  bool duplicate = false;  // the key was seen before: journal_id names the first exchange
  std::string journal_id;  // the tracking id of a queued exchange
};

// (No default argument for `submission`: g++ 12 frees a defaulted class-type parameter of a
// coroutine twice. Pass a named Submission, not a temporary, for the same compiler's sake.)
//
// Request-reply routes run to the end: exchange.body and exchange.status hold the reply.
// One-way routes (an `enqueue` step) run the steps before it while the caller waits, so a
// request that could never be delivered is refused now; then the exchange is committed to
// the journal and the result says queued only once that commit is durable. A queued
// exchange's body may have gone to its delivery already (the bus's DeliveryDesk): read its id
// and the result, not exchange.body.
awaitable<Result<Submitted>> submitExchange(Bus& bus, const Generation& generation,
                                            const Tenant& tenant, const Route& route,
                                            Exchange& exchange, Submission submission);

}  // namespace egov::core
