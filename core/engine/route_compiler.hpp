// Turns the YAML of routes (from a profile or a tenant file) into compiled Routes bound to
// one tenant's endpoints and params. Control plane only.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include "core/config/bus_config.hpp"
#include "core/engine/route.hpp"

namespace egov::core {

struct Tenant;

// Compiled stylesheets and schemas by absolute path, shared by every route of a generation.
struct CompileCache {
  std::map<std::filesystem::path, std::shared_ptr<const XsltMapping>> mappings;
  std::map<std::filesystem::path, std::shared_ptr<const XsdSchema>> schemas;
  std::map<std::filesystem::path, std::string> failures;  // path -> error, reported once
};

class RouteCompiler {
 public:
  RouteCompiler(const BusConfig& bus, const Tenant& tenant, CompileCache& cache,
                GuardRegistry& guards)
      : bus_(bus), tenant_(tenant), cache_(cache), guards_(guards) {}

  // Null after reporting errors.
  std::optional<Route> compileRoute(const ConfigNode& node) const;

 private:
  void compileTopLevel(const ConfigNode& list, Route& route) const;
  std::optional<CitizenRequirement> compileRequire(const ConfigNode& node) const;
  Steps compileSteps(const ConfigNode& list) const;
  std::optional<Step> compileStep(const ConfigNode& node) const;
  std::optional<Step> compileMap(const ConfigNode& value) const;
  std::optional<Step> compileValidate(const ConfigNode& value) const;
  std::optional<Step> compileCall(const ConfigNode& value) const;
  std::optional<Step> compileChoose(const ConfigNode& value) const;
  std::optional<Step> compileReply(const ConfigNode& value) const;
  std::shared_ptr<const XsltMapping> mapping(const ConfigNode& at, const std::string& name) const;
  std::shared_ptr<const XsdSchema> schema(const ConfigNode& at, const std::string& name) const;

  const BusConfig& bus_;
  const Tenant& tenant_;
  CompileCache& cache_;
  GuardRegistry& guards_;
};

}  // namespace egov::core
