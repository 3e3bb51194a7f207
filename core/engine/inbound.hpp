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
#include <string>
#include <vector>

#include "core/config/config_node.hpp"
#include "core/net/beast.hpp"

namespace egov::core {

class Bus;
class Generation;
struct Tenant;
class RuntimeServices;

// One request for an inbound handler. `tenant` is set when the handler's path has a
// `{tenant}` segment naming a known tenant (ISTAT code or slug); `tenant_key` is that
// segment as sent, so a handler can answer "unknown tenant" in its protocol.
struct InboundRequest {
  const HttpRequest& http;
  std::string_view path;
  std::string_view query;  // without the '?'
  Bus& bus;
  const Generation& generation;  // kept alive by the caller for the whole request
  const Tenant* tenant = nullptr;
  std::string tenant_key;
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

  // True when `path` matches; fills tenant_key when there is a `{tenant}` segment.
  bool matches(std::string_view path, std::string& tenant_key) const;
};

}  // namespace egov::core
