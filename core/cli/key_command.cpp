// egovbus key create|list|revoke: API keys and admin keys in the key store (auth.keys).
// A running bus picks up a change at its next reload (SIGHUP or POST /admin/v1/reload).
#include <cstdio>

#include "core/cli/commands.hpp"
#include "core/engine/generation.hpp"
#include "core/metrics/metrics.hpp"
#include "core/security/key_store.hpp"

namespace egov::core {
namespace {

std::string timeText(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::vector<std::string> expand(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& value : values) {
    for (auto& item : splitList(value)) out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

int keyCommand(const KeyOptions& options, const AdapterRegistry& adapters) {
  // The whole config is loaded so that tenants and the client's declaration can be checked.
  net::thread_pool pool(1);
  Metrics metrics;
  RuntimeServices runtime(pool.get_executor(), metrics);
  ConfigErrors errors;
  auto generation = loadGeneration(options.config, adapters, runtime, errors);
  runtime.shutdown();
  if (!generation) {
    std::fputs(errors.str().c_str(), stderr);
    return 1;
  }
  auto store = KeyStore::open(generation->bus.auth.keys);
  if (!store) {
    std::fprintf(stderr, "egovbus: %s\n", store.error().message.c_str());
    return 1;
  }

  if (options.action == "list") {
    auto keys = (*store)->list();
    if (!keys) {
      std::fprintf(stderr, "egovbus: %s\n", keys.error().message.c_str());
      return 1;
    }
    for (const auto& key : *keys) {
      std::printf("%s  %-6s %-24s %s  created=%s%s\n", key.id.c_str(),
                  std::string(keyKindName(key.kind)).c_str(), key.client.c_str(),
                  key.scope.tenants.empty() && key.scope.services.empty() ? "scope=as configured"
                                                                          : key.scope.str().c_str(),
                  timeText(key.created_ms).c_str(),
                  key.revoked_ms ? ("  revoked=" + timeText(key.revoked_ms)).c_str() : "");
    }
    return 0;
  }
  if (options.action == "revoke") {
    auto revoked = (*store)->revoke(options.id);
    if (!revoked) {
      std::fprintf(stderr, "egovbus: %s\n", revoked.error().message.c_str());
      return 1;
    }
    if (!*revoked) {
      std::fprintf(stderr, "egovbus: no active key %s\n", options.id.c_str());
      return 1;
    }
    std::fprintf(stderr, "key %s revoked; a running bus drops it at its next reload\n",
                 options.id.c_str());
    return 0;
  }

  // create
  if (options.client.empty()) {
    std::fprintf(stderr, "egovbus: key create needs --client NAME\n");
    return 2;
  }
  Scope scope{expand(options.tenants), expand(options.services)};
  for (const auto& tenant : scope.tenants) {
    if (tenant != "*" && !generation->findTenant(tenant)) {
      std::fprintf(stderr, "egovbus: unknown tenant %s\n", tenant.c_str());
      return 1;
    }
  }
  for (const auto& service : scope.services) {
    if (!isServicePattern(service)) {
      std::fprintf(stderr, "egovbus: %s is not a service name or pattern\n", service.c_str());
      return 1;
    }
  }
  const bool declared = generation->credentials->client(options.client) != nullptr;
  if (options.admin) {
    // An admin key without --tenant acts on every tenant.
    if (scope.tenants.empty()) scope.tenants = {"*"};
    scope.services = {"*"};
  } else if (scope.tenants.empty() != scope.services.empty()) {
    std::fprintf(stderr, "egovbus: give both --tenant and --service, or neither\n");
    return 2;
  } else if (scope.tenants.empty() && !declared) {
    std::fprintf(stderr,
                 "egovbus: client %s is not declared under clients: in %s; give its scope "
                 "with --tenant and --service\n",
                 options.client.c_str(), options.config.c_str());
    return 2;
  }
  auto created =
      (*store)->create(options.client, options.admin ? KeyKind::admin : KeyKind::client, scope);
  if (!created) {
    std::fprintf(stderr, "egovbus: %s\n", created.error().message.c_str());
    return 1;
  }
  std::fprintf(
      stderr, "%s key %s for %s (%s%s); it is shown once, keep it now\n",
      options.admin ? "admin" : "client", created->record.id.c_str(), options.client.c_str(),
      scope.tenants.empty() ? "scope as configured" : scope.str().c_str(),
      declared && !scope.tenants.empty() && !options.admin ? ", within the configured scope" : "");
  std::printf("%s\n", created->key.c_str());
  return 0;
}

}  // namespace egov::core
