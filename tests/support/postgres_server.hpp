// A throwaway PostgreSQL server for tests: a fresh cluster (initdb) in a temporary folder,
// listening on 127.0.0.1 on a free port with its unix socket in that folder, with one role
// (password authentication over TCP) owning one database. The destructor stops the server
// and removes the folder; a server left behind by a test binary that crashed is stopped by
// the next one that starts a server.
//
// initdb and postgres refuse to run as root, and tests often do (CI, containers): then they
// run as the `postgres` system user the Debian package creates, and the folder is chowned
// to it. Server binaries come from /usr/lib/postgresql/15/bin, or $EGOV_PG_BINDIR.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace egov::test {

class PostgresServer {
 public:
  static constexpr const char* kUser = "egov_test";
  static constexpr const char* kPassword = "s3cret-pw";
  static constexpr const char* kDatabase = "egov_test";

  // Creates the cluster and starts it; throws std::runtime_error saying why it could not
  // (with the tail of the server's log).
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  unsigned short port() const { return port_; }
  // A libpq conninfo string for kUser over TCP, with the given password.
  std::string dsn(const std::string& password = kPassword) const;

  // Runs SQL (several statements allowed) as the superuser, over the unix socket, in
  // kDatabase. Throws std::runtime_error with the server's message on failure.
  void exec(const std::string& sql) const;

  // Fast shutdown (connections are closed) and start again on the same port and data.
  void stop();
  void start();
  bool running() const { return running_; }

 private:
  // Runs a server tool (argv[0] is its name in the bin folder), throwing when it fails.
  void runTool(std::vector<std::string> argv) const;
  std::string logTail() const;

  std::string folder_;
  unsigned short port_ = 0;
  bool running_ = false;
};

// The server shared by every PostgreSQL test of this binary, started on first use and
// stopped at exit. Throws (each time it is asked) when it could not start.
PostgresServer& testPostgres();

}  // namespace egov::test
