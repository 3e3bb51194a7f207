// egovbus audit verify: the audit trail's hash chain, checked record by record.
#include <cstdio>

#include "core/cli/commands.hpp"
#include "core/config/bus_config.hpp"
#include "core/security/audit_trail.hpp"

namespace egov::core {

int auditCommand(const std::string& config, const std::string& action) {
  ConfigErrors errors;
  auto root = ConfigNode::loadFile(config, &errors);
  BusConfig bus;
  if (root.valid()) bus = parseBusConfig(root, std::filesystem::absolute(config));
  if (!errors.empty()) {
    std::fputs(errors.str().c_str(), stderr);
    return 1;
  }
  if (action != "verify") return 2;
  auto verified = verifyAuditTrail(bus.audit.path);
  if (!verified) {
    std::fprintf(stderr, "egovbus: %s\n", verified.error().message.c_str());
    return 1;
  }
  if (!verified->ok) {
    std::printf("%s: record %lld: %s\n", bus.audit.path.c_str(),
                static_cast<long long>(verified->first_bad_seq), verified->problem.c_str());
    return 1;
  }
  std::printf("%s: ok: %lld records, head %lld %s\n", bus.audit.path.c_str(),
              static_cast<long long>(verified->records), static_cast<long long>(verified->head_seq),
              verified->head_hash.c_str());
  return 0;
}

}  // namespace egov::core
