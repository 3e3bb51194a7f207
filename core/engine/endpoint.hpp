// Endpoints (configured instances of adapters) and the registry of adapter factories.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <typeindex>
#include <vector>

#include "core/common/result.hpp"
#include "core/config/config_node.hpp"
#include "core/engine/exchange.hpp"
#include "core/engine/inbound.hpp"
#include "core/engine/source.hpp"
#include "core/engine/spid_verifier.hpp"
#include "core/net/asio.hpp"

namespace egov::core {

class Metrics;

// What a `call` step hands to an endpoint.
struct CallRequest {
  const Exchange& exchange;
  const xmlDoc& body;          // the current canonical body, as the route's mappings left it
  Clock::time_point deadline;  // the route's deadline; the endpoint's own timeout may be shorter
};

// An endpoint belongs to one config generation and is shared read-only by all threads;
// call() may run concurrently from any I/O thread. It must not block the calling thread:
// blocking work goes to a worker pool or an async client. The returned document is the
// reply body; errors are classified (backend_unavailable: retryable, backend_rejected:
// permanent, backend_invalid: unreadable answer, deadline_exceeded).
class Endpoint {
 public:
  Endpoint(std::string name, std::string type) : name_(std::move(name)), type_(std::move(type)) {}
  virtual ~Endpoint() = default;
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  const std::string& name() const { return name_; }  // "<tenant slug>/<endpoint key>"
  const std::string& type() const { return type_; }

  virtual awaitable<Result<XmlDocPtr>> call(const CallRequest& request) = 0;

 private:
  std::string name_;
  std::string type_;
};

// Process-wide services adapters may need. Lives longer than every config generation.
class RuntimeServices {
 public:
  // `io`: the process's I/O contexts, one per I/O thread (egovbus serve), for adapters that
  // run their own asynchronous machinery on them (the curl loop); empty where there are none
  // (check, test).
  RuntimeServices(net::any_io_executor workers, Metrics& metrics,
                  std::vector<net::any_io_executor> io = {})
      : workers_(std::move(workers)), io_(std::move(io)), metrics_(metrics) {}

  // Bounded pool for blocking libraries.
  const net::any_io_executor& workers() const { return workers_; }
  const std::vector<net::any_io_executor>& io() const { return io_; }
  Metrics& metrics() const { return metrics_; }

  // One shared instance of T per process, created on first use (e.g. the curl multi loop
  // shared by all http endpoints of all generations, so connections survive a reload).
  template <class T, class Make>
  std::shared_ptr<T> shared(Make make) {
    std::lock_guard lock(mutex_);
    auto& slot = shared_[std::type_index(typeid(T))];
    if (!slot) slot = std::static_pointer_cast<void>(std::shared_ptr<T>(make()));
    return std::static_pointer_cast<T>(slot);
  }

  // Drops shared instances (stops their threads) before the process exits.
  void shutdown() {
    std::lock_guard lock(mutex_);
    shared_.clear();
  }

 private:
  net::any_io_executor workers_;
  std::vector<net::any_io_executor> io_;
  Metrics& metrics_;
  std::mutex mutex_;
  std::map<std::type_index, std::shared_ptr<void>> shared_;
};

// What a factory gets to build one endpoint from its YAML settings.
struct EndpointContext {
  std::string name;     // "<tenant slug>/<endpoint key>"
  ConfigNode settings;  // the endpoint's map, including `type`
  RuntimeServices& runtime;
};

// Returns null after reporting config errors into settings.errors().
using EndpointFactory = std::function<std::shared_ptr<Endpoint>(const EndpointContext&)>;

class AdapterRegistry {
 public:
  void add(std::string type, EndpointFactory factory) {
    factories_[std::move(type)] = std::move(factory);
  }
  const EndpointFactory* find(const std::string& type) const {
    auto it = factories_.find(type);
    return it == factories_.end() ? nullptr : &it->second;
  }
  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& [type, _] : factories_) out.push_back(type);
    return out;
  }

  // Inbound handlers (bus.yaml `inbound:`), by type.
  void addInbound(std::string type, InboundFactory factory) {
    inbound_[std::move(type)] = std::move(factory);
  }
  const InboundFactory* findInbound(const std::string& type) const {
    auto it = inbound_.find(type);
    return it == inbound_.end() ? nullptr : &it->second;
  }
  std::vector<std::string> inboundTypes() const {
    std::vector<std::string> out;
    for (const auto& [type, _] : inbound_) out.push_back(type);
    return out;
  }

  // Sources (a tenant file's `sources:`), by type.
  void addSource(std::string type, SourceFactory factory) {
    sources_[std::move(type)] = std::move(factory);
  }
  const SourceFactory* findSource(const std::string& type) const {
    auto it = sources_.find(type);
    return it == sources_.end() ? nullptr : &it->second;
  }
  std::vector<std::string> sourceTypes() const {
    std::vector<std::string> out;
    for (const auto& [type, _] : sources_) out.push_back(type);
    return out;
  }

  // Reads bus.yaml's `spid` section (the spid adapter); empty: this build has no SPID.
  void setSpidVerifierFactory(SpidVerifierFactory factory) { spid_ = std::move(factory); }
  const SpidVerifierFactory& spidVerifierFactory() const { return spid_; }

 private:
  std::map<std::string, EndpointFactory> factories_;
  std::map<std::string, InboundFactory> inbound_;
  std::map<std::string, SourceFactory> sources_;
  SpidVerifierFactory spid_;
};

}  // namespace egov::core
