#include "tests/support/pdnd_simulator.hpp"

#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>

#include <curl/curl.h>
#include <rapidjson/document.h>

extern char** environ;

namespace egov::test {
namespace {

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

std::size_t append(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

std::string header(CURL* easy, const char* name) {
  curl_header* found = nullptr;
  if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &found) != CURLHE_OK) return {};
  return found->value;
}

}  // namespace

SimReply simRequest(const std::string& method, const std::string& url,
                    const std::vector<std::string>& headers, const std::string& body) {
  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  REQUIRE(easy);
  std::unique_ptr<curl_slist, SlistDeleter> list;
  for (const auto& line : headers) {
    curl_slist* head = curl_slist_append(list.get(), line.c_str());
    REQUIRE(head);
    if (!list) list.reset(head);
  }
  SimReply reply;
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(easy.get(), CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, &append);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &reply.body);
  if (method == "POST") {
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  const CURLcode rc = curl_easy_perform(easy.get());
  REQUIRE_MESSAGE(rc == CURLE_OK, curl_easy_strerror(rc));
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &reply.status);
  reply.reason = header(easy.get(), "X-Simulator-Reason");
  reply.retry_after = header(easy.get(), "Retry-After");
  return reply;
}

PdndSimulator::PdndSimulator(const std::filesystem::path& config) {
  const auto root = std::filesystem::path(EGOV_SOURCE_DIR);
  REQUIRE_MESSAGE(std::filesystem::exists(root / "tests/interop/node_modules/jose/package.json"),
                  "npm jose is not installed: run `make deps` (npm ci --prefix tests/interop)");
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  const std::string script = (root / "tools/pdnd-sim/server.js").string();
  const std::string config_path = config.string();
  char* argv[] = {const_cast<char*>("node"), const_cast<char*>(script.c_str()),
                  const_cast<char*>(config_path.c_str()), nullptr};
  const int rc = posix_spawnp(&pid_, "node", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  out_ = fds[0];
  REQUIRE_MESSAGE(rc == 0, "cannot start node (is it on PATH? make deps installs it)");
  std::string line;
  while (line.find('\n') == std::string::npos) {
    pollfd ready{out_, POLLIN, 0};
    // Start-up takes well under a second; the limit only keeps a broken install from hanging.
    if (poll(&ready, 1, 30'000) != 1) break;
    char buffer[64];
    const ssize_t n = read(out_, buffer, sizeof buffer);
    if (n <= 0) break;
    line.append(buffer, static_cast<std::size_t>(n));
  }
  port_ = std::atoi(line.c_str());
  REQUIRE_MESSAGE(port_ > 0, "the PDND simulator did not print its port");
}

PdndSimulator::~PdndSimulator() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (i == 99) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
      }
    }
  }
  if (out_ >= 0) close(out_);
}

std::string PdndSimulator::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::string PdndSimulator::eserviceBase() const {
  return url("/govway/rest/in/MinInternoPortaANPR-PDND");
}

long PdndSimulator::stat(const char* name) const {
  auto reply = simRequest("GET", url("/sim/stats"));
  REQUIRE(reply.status == 200);
  rapidjson::Document doc;
  doc.Parse(reply.body.c_str());
  REQUIRE(!doc.HasParseError());
  REQUIRE(doc.HasMember(name));
  return doc[name].GetInt64();
}

}  // namespace egov::test
