// egovbus: the interoperability bus of the E-Gov 2 programme (Città Metropolitana di Bari).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <unistd.h>

#include "adapters/register.hpp"
#include "adapters/spid/spid_command.hpp"
#include "core/cli/commands.hpp"
#include "core/cli/test_command.hpp"

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  egovbus serve [--config FILE] [--listen ADDR:PORT]\n"
    "  egovbus check [--config FILE]\n"
    "  egovbus openapi [--config FILE]\n"
    "  egovbus map STYLESHEET INPUT [--param NAME=VALUE]... [--config FILE]\n"
    "  egovbus test [PATH...]\n"
    "  egovbus dlq list [--tenant ISTAT] [--config FILE]\n"
    "  egovbus dlq show|replay|discard ID [--reason TEXT] [--by NAME] [--config FILE]\n"
    "  egovbus batches [--tenant ISTAT] [--watch] [--config FILE]\n"
    "  egovbus key create --client NAME [--tenant T]... [--service S]... [--admin] [--config "
    "FILE]\n"
    "  egovbus key list|revoke [ID] [--config FILE]\n"
    "  egovbus audit verify [--config FILE]\n"
    "  egovbus spid verify --idp-metadata FILE... --sp-entity-id ID --acs URL\n"
    "                     [--request-id ID] [--now RFC3339] RESPONSE_FILE\n"
    "  egovbus --version\n";

int usage(const char* problem) {
  if (problem) std::fprintf(stderr, "egovbus: %s\n", problem);
  std::fputs(kUsage, stderr);
  return 2;
}

struct LibraryScope {
  LibraryScope() { egov::adapters::initLibraries(); }
  ~LibraryScope() { egov::adapters::shutdownLibraries(); }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(nullptr);
  const std::string command = argv[1];
  if (command == "--version" || command == "version") {
    std::printf("egovbus %s\n", EGOV_VERSION);
    return 0;
  }
  if (command == "--help" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }

  std::string config = "conf/bus.yaml";
  std::string listen;
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> params;
  std::string tenant, reason, by, client;
  std::vector<std::string> tenants, services;
  bool admin = false, watch = false;
  egov::adapters::spid::VerifyOptions spid;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) return nullptr;
      (void)name;
      return argv[++i];
    };
    if (arg == "--config") {
      const char* v = value("--config");
      if (!v) return usage("--config needs a file");
      config = v;
    } else if (arg == "--listen") {
      const char* v = value("--listen");
      if (!v) return usage("--listen needs ADDR:PORT");
      listen = v;
    } else if (arg == "--tenant" || arg == "--reason" || arg == "--by" || arg == "--client" ||
               arg == "--service") {
      const char* v = value(arg.c_str());
      if (!v) return usage((arg + " needs a value").c_str());
      if (arg == "--tenant") {
        tenant = v;
        tenants.emplace_back(v);
      } else if (arg == "--service") {
        services.emplace_back(v);
      } else {
        (arg == "--reason" ? reason : arg == "--by" ? by : client) = v;
      }
    } else if (arg == "--admin") {
      admin = true;
    } else if (arg == "--watch") {
      watch = true;
    } else if (arg == "--idp-metadata" || arg == "--sp-entity-id" || arg == "--acs" ||
               arg == "--request-id" || arg == "--now") {
      const char* v = value(arg.c_str());
      if (!v) return usage((arg + " needs a value").c_str());
      if (arg == "--idp-metadata") {
        spid.idp_metadata.emplace_back(v);
      } else {
        (arg == "--sp-entity-id" ? spid.sp_entity_id
         : arg == "--acs"        ? spid.acs_url
         : arg == "--request-id" ? spid.request_id
                                 : spid.now) = v;
      }
    } else if (arg == "--param") {
      const char* v = value("--param");
      const char* eq = v ? std::strchr(v, '=') : nullptr;
      if (!eq) return usage("--param needs NAME=VALUE");
      params.emplace_back(std::string(v, eq), std::string(eq + 1));
    } else if (arg.starts_with("--")) {
      return usage(("unknown option " + arg).c_str());
    } else {
      positional.push_back(arg);
    }
  }

  LibraryScope libraries;
  egov::core::AdapterRegistry adapters;
  egov::adapters::registerBuiltinAdapters(adapters);
  if (command == "serve") {
    if (!positional.empty()) return usage("serve takes no arguments");
    return egov::core::serveCommand({config, listen}, adapters);
  }
  if (command == "check") {
    if (!positional.empty()) return usage("check takes no arguments");
    return egov::core::checkCommand(config, adapters);
  }
  if (command == "openapi") {
    if (!positional.empty()) return usage("openapi takes no arguments");
    return egov::core::openapiCommand(config, adapters);
  }
  if (command == "test") return egov::core::testCommand(positional, adapters);
  if (command == "map") {
    if (positional.size() != 2) return usage("map needs STYLESHEET and INPUT");
    bool config_given = false;
    for (int i = 2; i < argc; ++i)
      config_given = config_given || std::strcmp(argv[i], "--config") == 0;
    return egov::core::mapCommand(
        {positional[0], positional[1], params, config_given ? config : ""});
  }
  if (command == "dlq") {
    if (positional.empty()) return usage("dlq needs list, show, replay or discard");
    const auto& action = positional[0];
    const bool needs_id = action == "show" || action == "replay" || action == "discard";
    if (!(needs_id || action == "list") || positional.size() != (needs_id ? 2u : 1u)) {
      return usage("dlq list | dlq show|replay|discard ID");
    }
    const char* user = std::getenv("USER");
    return egov::core::dlqCommand({config, action, needs_id ? positional[1] : "", tenant, reason,
                                   by.empty() ? (user ? user : "unknown") : by});
  }
  if (command == "batches") {
    if (!positional.empty()) return usage("batches takes no arguments");
    egov::core::BatchesOptions batches;
    batches.config = config;
    batches.tenant = tenant;
    batches.watch = watch;
    return egov::core::batchesCommand(batches, stdout, isatty(STDOUT_FILENO) == 1);
  }
  if (command == "key") {
    const auto action = positional.empty() ? std::string() : positional[0];
    const bool ok = (action == "create" && positional.size() == 1) ||
                    (action == "list" && positional.size() == 1) ||
                    (action == "revoke" && positional.size() == 2);
    if (!ok) return usage("key create | key list | key revoke ID");
    return egov::core::keyCommand(
        {config, action, action == "revoke" ? positional[1] : "", client, tenants, services, admin},
        adapters);
  }
  if (command == "audit") {
    if (positional.size() != 1 || positional[0] != "verify") return usage("audit verify");
    return egov::core::auditCommand(config, "verify");
  }
  if (command == "spid") {
    if (positional.size() != 2 || positional[0] != "verify") {
      return usage("spid verify needs RESPONSE_FILE");
    }
    spid.response = positional[1];
    return egov::adapters::spid::verifyCommand(spid);
  }
  return usage(("unknown command " + command).c_str());
}
