// A compiled route: what happens to an exchange of one service for one tenant.
// Built at config load, immutable afterwards, shared by all threads.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <libxml/xpath.h>

#include "core/engine/endpoint.hpp"
#include "core/engine/endpoint_guard.hpp"
#include "core/mapping/xslt_mapping.hpp"
#include "core/schema/xsd_schema.hpp"

namespace egov::core {

struct XPathDeleter {
  void operator()(xmlXPathCompExpr* expr) const { xmlXPathFreeCompExpr(expr); }
};
using XPathPtr = std::unique_ptr<xmlXPathCompExpr, XPathDeleter>;

struct Step;
using Steps = std::vector<Step>;

struct ValidateStep {
  std::shared_ptr<const XsdSchema> schema;
};

struct MapStep {
  std::shared_ptr<const XsltMapping> mapping;
  MappingParams params;  // tenant params overlaid by the step's own
};

struct CallStep {
  std::string key;  // the endpoint's key in the tenant file
  std::shared_ptr<Endpoint> endpoint;
  std::shared_ptr<EndpointGuard> guard;  // shared by every generation
  GuardSettings limits;                  // this generation's
};

struct ChooseStep {
  struct When {
    std::string test;  // the XPath as written, for messages
    XPathPtr expr;
    Steps steps;
  };
  std::vector<When> whens;
  Steps otherwise;
};

struct ReplyStep {
  int status = 200;
  std::optional<ErrorKind> error;  // reply with a problem instead of the body
  std::string detail;
};

struct Step {
  std::variant<ValidateStep, MapStep, CallStep, ChooseStep, ReplyStep> action;
  std::string where;  // "file:line" of the step in its profile, for errors and logs
};

// An endpoint's own `retry` settings; what it leaves out comes from the route's policy.
struct RetryOverride {
  std::optional<int> max_attempts;
  std::optional<std::chrono::milliseconds> backoff;
  std::optional<std::chrono::milliseconds> max_backoff;
  std::optional<std::chrono::milliseconds> max_age;
};

// How a one-way route's deliveries are retried before the exchange is dead-lettered.
struct DeliveryPolicy {
  int max_attempts = 10;
  std::chrono::milliseconds backoff{1'000};  // first retry; doubles each time, with jitter
  std::chrono::milliseconds max_backoff{300'000};
  std::chrono::milliseconds max_age{24 * 3'600'000};

  DeliveryPolicy overriddenBy(const RetryOverride& retry) const {
    DeliveryPolicy policy = *this;
    policy.max_attempts = retry.max_attempts.value_or(max_attempts);
    policy.backoff = retry.backoff.value_or(backoff);
    policy.max_backoff = retry.max_backoff.value_or(max_backoff);
    policy.max_age = retry.max_age.value_or(max_age);
    return policy;
  }
};

// Reads `{ attempts, backoff, max_backoff, max_age }` (a route's `delivery`, an endpoint's
// `retry`); errors go to the node's ConfigErrors.
RetryOverride parseRetrySettings(const ConfigNode& node);

// Who may run a route: `require: { spid_level: 2, self_only: "<XPath>" }`, enforced before
// the first step (core/engine/citizen_access.hpp).
struct CitizenRequirement {
  int spid_level = 1;       // minimum SPID level of the caller's identity (1..3)
  std::string self_only;    // the XPath as written; empty: the request may name anyone
  XPathPtr self_only_expr;  // on the canonical request; must select the caller's fiscal code
};

struct Route {
  std::string service;
  std::set<std::string> methods;  // empty: any of GET, POST, PUT, DELETE
  std::chrono::milliseconds deadline{10'000};
  Steps steps;
  // One-way routes: steps before this index run while the caller waits; then the exchange
  // is journaled, the caller gets 202, and delivery runs the rest. Empty: request-reply.
  std::optional<std::size_t> enqueue_at;
  DeliveryPolicy delivery;
  // One-way routes: XPath on the canonical body (as journaled) giving the order key.
  // Exchanges with the same (tenant, service, key) are delivered one at a time, in
  // acceptance order. Null: no ordering.
  XPathPtr order_key;
  std::string order_key_text;                 // as written, for messages
  std::optional<CitizenRequirement> require;  // none: callers need no citizen identity
  std::string where;
};

// Namespace prefixes available to `choose` XPath expressions.
inline constexpr const char* kXPathFnPrefix = "fn";  // http://www.w3.org/2005/xpath-functions

}  // namespace egov::core
