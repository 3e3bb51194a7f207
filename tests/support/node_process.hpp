// A node script (tests/interop/*.js) as a child process for a test: started with the
// environment of the test, it prints the port it listens on alone on its first line; it is
// killed when the object goes, however the test ends. `make deps` installs node and the npm
// packages of tests/interop.
#pragma once

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

extern char** environ;

namespace egov::test {

inline std::filesystem::path interopDir() {
  return std::filesystem::path(EGOV_SOURCE_DIR) / "tests/interop";
}

class NodeProcess {
 public:
  explicit NodeProcess(const std::string& script, std::vector<std::string> args = {}) {
    REQUIRE_MESSAGE(std::filesystem::exists(interopDir() / "node_modules/soap/package.json"),
                    "node-soap is not installed: run `make deps` (npm ci --prefix tests/interop)");
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    const std::string path = (interopDir() / script).string();
    std::vector<char*> argv = {const_cast<char*>("node"), const_cast<char*>(path.c_str())};
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int rc = posix_spawnp(&pid_, "node", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    out_ = fds[0];
    REQUIRE_MESSAGE(rc == 0, "cannot start node (is it on PATH? make deps installs it)");
    port_ = std::atoi(readLine().c_str());
    REQUIRE_MESSAGE(port_ > 0, (script + " did not print its port"));
  }
  ~NodeProcess() {
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
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  // Everything the script writes to stdout until it exits (for scripts that print a result).
  std::string readAll(int timeout_ms = 60'000) {
    std::string text = pending_;
    pending_.clear();
    while (true) {
      pollfd ready{out_, POLLIN, 0};
      if (poll(&ready, 1, timeout_ms) != 1) break;
      char buffer[4096];
      const ssize_t n = read(out_, buffer, sizeof buffer);
      if (n <= 0) break;
      text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
  }

 private:
  std::string readLine() {
    // Start-up takes well under a second; the limit only keeps a broken install from hanging.
    while (pending_.find('\n') == std::string::npos) {
      pollfd ready{out_, POLLIN, 0};
      if (poll(&ready, 1, 30'000) != 1) return {};
      char buffer[256];
      const ssize_t n = read(out_, buffer, sizeof buffer);
      if (n <= 0) return {};
      pending_.append(buffer, static_cast<std::size_t>(n));
    }
    auto line = pending_.substr(0, pending_.find('\n'));
    pending_.erase(0, line.size() + 1);
    return line;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  int port_ = 0;
  std::string pending_;
};

}  // namespace egov::test
