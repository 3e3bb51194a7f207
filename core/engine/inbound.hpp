// Inbound handlers: protocol front doors other than the unified REST API (a SOAP service a
// vendor calls, the pagoPA node's creditor interface). Declared in bus.yaml under
// `inbound:`, built by an adapter's inbound factory with the generation they belong to, and
// served by the HTTP listener at the path they declare. A handler turns the wire request
// into an exchange, submits it (core/engine/dispatch.hpp) and answers in its own protocol:
// its errors are that protocol's errors (SOAP faults), never the REST problem+json.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/common/result.hpp"
#include "core/config/config_node.hpp"
#include "core/net/beast.hpp"

namespace egov::core {

class Bus;
class Generation;
struct Tenant;
class RuntimeServices;
struct Principal;
struct Error;

// How the listener authenticates callers of an inbound handler (`auth:` in its settings):
// api-key (the default): an API key, or a client certificate mapped to a client, as on the
// unified API; mtls: a client certificate mapped to a client, nothing else; none: nobody
// (the pagoPA node, say, when the network or the TLS listener already authenticates it).
enum class InboundAuth { api_key, mtls, none };
std::optional<InboundAuth> inboundAuthFromName(std::string_view name);

// One request for an inbound handler. `tenant` is set when the handler's path has a
// `{tenant}` segment naming a known tenant (ISTAT code or slug); `tenant_key` is that
// segment as sent, so a handler can answer "unknown tenant" in its protocol.
//
// Authentication happens before the handler runs: with `auth: api-key` or `mtls` the
// handler is reached only by an authenticated client (`principal`), and with a `{tenant}`
// path only when that tenant is in the client's scope; otherwise the listener answers
// with the handler's refuse(). The service is known only to the handler (a SOAP Body's
// operation, say), so before it submits an exchange it must call authorize() and answer
// a refusal in its protocol (refuse() does).
struct InboundRequest {
  const HttpRequest& http;
  std::string_view path;
  std::string_view query;  // without the '?'
  Bus& bus;
  const Generation& generation;  // kept alive by the caller for the whole request
  const Tenant* tenant = nullptr;
  std::string tenant_key;
  InboundAuth auth = InboundAuth::api_key;
  const Principal* principal = nullptr;  // the authenticated client; null with auth: none

  // Ok when the client may call `service` of `tenant` (always with auth: none); otherwise
  // a `forbidden` error that reveals nothing of the tenant or service.
  Result<void> authorize(const Tenant& tenant, std::string_view service) const;
  // The client's name for Exchange::identity.client ("" with auth: none).
  std::string clientName() const;
};

class InboundHandler {
 public:
  InboundHandler(std::string name, std::string type)
      : name_(std::move(name)), type_(std::move(type)) {}
  virtual ~InboundHandler() = default;
  InboundHandler(const InboundHandler&) = delete;
  InboundHandler& operator=(const InboundHandler&) = delete;

  const std::string& name() const { return name_; }  // its key under `inbound:`
  const std::string& type() const { return type_; }

  // Runs on the I/O thread that read the request; must not block it.
  virtual awaitable<HttpResponse> handle(InboundRequest request) = 0;

  // The answer to a request refused before (or by) authorize(): `unauthorized` (401) or
  // `forbidden` (403). The default is problem+json; a SOAP handler answers a SOAP fault.
  virtual HttpResponse refuse(const InboundRequest& request, const Error& error) const;

 private:
  std::string name_;
  std::string type_;
};

// What an inbound factory gets: its settings (the map under `inbound.<name>`, `type` and
// `path` included and already read by the loader), and the generation being built, whose
// tenants and routes are loaded (for checks such as "every tenant has a fiscal code").
// The handler must not keep a pointer to the generation: requests carry the one serving.
struct InboundContext {
  std::string name;
  ConfigNode settings;
  RuntimeServices& runtime;
  const Generation& generation;
};

using InboundFactory = std::function<std::shared_ptr<InboundHandler>(const InboundContext&)>;

// A path an inbound handler serves: literal segments and at most one `{tenant}` segment.
struct InboundPath {
  std::string text;                   // as configured, e.g. "/soap/{tenant}/tributi"
  std::vector<std::string> segments;  // "{tenant}" kept as is
  std::shared_ptr<InboundHandler> handler;
  InboundAuth auth = InboundAuth::api_key;

  // True when `path` matches; fills tenant_key when there is a `{tenant}` segment.
  bool matches(std::string_view path, std::string& tenant_key) const;
};

}  // namespace egov::core
