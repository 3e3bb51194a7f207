// The PDND/ANPR simulator (tools/pdnd-sim/server.js) as a child process for tests, plus a
// small blocking HTTP client to talk to it directly (the strictness tests craft requests the
// bus would never send). `make deps` installs its npm package (jose, tests/interop).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace egov::test {

struct SimReply {
  long status = 0;
  std::string body;
  std::string reason;       // X-Simulator-Reason: which check refused
  std::string retry_after;  // Retry-After
};

// One blocking request with libcurl (tests only). Headers as "Name: value".
SimReply simRequest(const std::string& method, const std::string& url,
                    const std::vector<std::string>& headers = {}, const std::string& body = "");

class PdndSimulator {
 public:
  // Starts `node tools/pdnd-sim/server.js config` and waits for the port it prints.
  explicit PdndSimulator(const std::filesystem::path& config);
  ~PdndSimulator();  // SIGTERM, then SIGKILL after a bounded wait
  PdndSimulator(const PdndSimulator&) = delete;
  PdndSimulator& operator=(const PdndSimulator&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path = "") const;
  // "http://127.0.0.1:<port>/govway/rest/in/MinInternoPortaANPR-PDND"
  std::string eserviceBase() const;
  // A counter of GET /sim/stats ("token_requests", "tokens_issued", "eservice_calls", ...).
  long stat(const char* name) const;

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  int port_ = 0;
};

}  // namespace egov::test
