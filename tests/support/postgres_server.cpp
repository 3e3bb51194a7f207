#include "tests/support/postgres_server.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <libpq-fe.h>

#include "tests/support/test_http_server.hpp"

namespace egov::test {
namespace {

struct ConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};

std::string binDir() {
  const char* dir = std::getenv("EGOV_PG_BINDIR");
  return dir && *dir ? dir : "/usr/lib/postgresql/15/bin";
}

// Who runs the server's tools: ourselves, unless we are root (which they refuse).
struct ServerUser {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

ServerUser serverUser() {
  if (::geteuid() != 0) return {};
  const passwd* user = ::getpwnam("postgres");
  if (!user) {
    throw std::runtime_error(
        "tests run as root, and there is no postgres user to run the server as "
        "(apt-get install postgresql)");
  }
  return {true, user->pw_uid, user->pw_gid};
}

// Runs a program (no shell) as `user` in `folder`, its output appended to `log`.
// Returns its exit status, or -1 when it did not exit normally.
int runProgram(const std::vector<std::string>& argv, const ServerUser& user,
               const std::string& folder, const std::string& log) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec: the test binary has threads.
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || in < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) {
      ::_exit(126);
    }
    if (user.switch_user &&
        (::setgroups(0, nullptr) != 0 || ::setgid(user.gid) != 0 || ::setuid(user.uid) != 0)) {
      ::_exit(126);
    }
    if (::chdir(folder.c_str()) != 0) ::_exit(126);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// "NOTICE: table ... does not exist, skipping" is expected and would clutter test output.
void ignoreNotice(void*, const char*) {}

void execIn(const std::string& folder, unsigned short port, const std::string& database,
            const std::string& sql) {
  const std::string conninfo =
      "host=" + folder + " port=" + std::to_string(port) + " user=postgres dbname=" + database;
  std::unique_ptr<PGconn, ConnDeleter> conn(PQconnectdb(conninfo.c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error(std::string("test PostgreSQL: ") + PQerrorMessage(conn.get()));
  }
  PQsetNoticeProcessor(conn.get(), ignoreNotice, nullptr);
  std::unique_ptr<PGresult, ResultDeleter> result(PQexec(conn.get(), sql.c_str()));
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error(std::string("test PostgreSQL: ") + PQerrorMessage(conn.get()));
  }
}

constexpr const char* kFolderPrefix = "egovbus-pg-";

// A test binary that crashed or was killed never ran its destructor, and its server would
// run on. Each folder names the pid of the process that made it; the servers of processes
// that are gone are stopped and their folders removed.
void reapOrphans(const ServerUser& user) {
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::temp_directory_path(), ec)) {
    if (entry.path().filename().string().rfind(kFolderPrefix, 0) != 0) continue;
    std::ifstream owner(entry.path() / "owner");
    pid_t pid = 0;
    if (!(owner >> pid) || pid <= 0) continue;  // still being set up, or not ours
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;
    const auto data = entry.path() / "data";
    if (std::filesystem::exists(data / "postmaster.pid", ec)) {
      runProgram({binDir() + "/pg_ctl", "-D", data.string(), "-m", "immediate", "-w", "stop"}, user,
                 entry.path().string(), "/dev/null");
    }
    std::filesystem::remove_all(entry.path(), ec);
  }
}

}  // namespace

PostgresServer::PostgresServer() {
  const std::string bin = binDir();
  if (!std::filesystem::exists(bin + "/initdb")) {
    throw std::runtime_error("PostgreSQL server binaries not found in " + bin +
                             " (apt-get install postgresql, or set EGOV_PG_BINDIR)");
  }
  const ServerUser user = serverUser();
  reapOrphans(user);
  std::string pattern =
      (std::filesystem::temp_directory_path() / (std::string(kFolderPrefix) + "XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  folder_ = pattern;
  try {
    std::ofstream(folder_ + "/owner") << ::getpid() << "\n";
    if (user.switch_user && ::chown(folder_.c_str(), user.uid, user.gid) != 0) {
      throw std::runtime_error("cannot chown " + folder_ + " to postgres");
    }
    port_ = closedLocalPort();
    runTool({"initdb", "-D", folder_ + "/data", "-U", "postgres", "--auth-local=trust",
             "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"});
    start();
    execIn(folder_, port_, "postgres",
           std::string("CREATE ROLE ") + kUser + " LOGIN PASSWORD '" + kPassword + "'");
    execIn(folder_, port_, "postgres",
           std::string("CREATE DATABASE ") + kDatabase + " OWNER " + kUser);
  } catch (...) {
    if (running_) stop();
    std::error_code ec;
    std::filesystem::remove_all(folder_, ec);
    throw;
  }
}

PostgresServer::~PostgresServer() {
  try {
    if (running_) stop();
  } catch (...) {
    // Nothing sensible to do at exit; the folder goes anyway.
  }
  std::error_code ec;
  std::filesystem::remove_all(folder_, ec);
}

std::string PostgresServer::dsn(const std::string& password) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + kUser +
         " password=" + password + " dbname=" + kDatabase;
}

void PostgresServer::exec(const std::string& sql) const {
  execIn(folder_, port_, kDatabase, sql);
}

void PostgresServer::start() {
  // fsync off: the data is thrown away, and tests should not wait for disks.
  // pg_ctl hands -o to the server through a shell: the mkdtemp folder has no spaces.
  runTool({"pg_ctl", "-D", folder_ + "/data", "-l", folder_ + "/server.log", "-w", "-t", "60", "-o",
           "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) + " -k " + folder_ +
               " -c fsync=off",
           "start"});
  running_ = true;
}

void PostgresServer::stop() {
  running_ = false;
  runTool({"pg_ctl", "-D", folder_ + "/data", "-m", "fast", "-w", "-t", "60", "stop"});
}

void PostgresServer::runTool(std::vector<std::string> argv) const {
  const std::string tool = argv.front();
  argv.front() = binDir() + "/" + tool;
  const int status = runProgram(argv, serverUser(), folder_, folder_ + "/tools.log");
  if (status != 0) {
    throw std::runtime_error("test PostgreSQL: " + tool + " failed (status " +
                             std::to_string(status) + "):\n" + logTail());
  }
}

std::string PostgresServer::logTail() const {
  std::string text;
  for (const char* name : {"/tools.log", "/server.log"}) {
    std::ifstream in(folder_ + name);
    std::ostringstream content;
    content << in.rdbuf();
    text += content.str();
  }
  return text.size() > 4000 ? text.substr(text.size() - 4000) : text;
}

PostgresServer& testPostgres() {
  static std::unique_ptr<PostgresServer> server;
  static std::string failure;
  if (!server && failure.empty()) {
    try {
      server = std::make_unique<PostgresServer>();
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }
  if (!server) throw std::runtime_error(failure);
  return *server;
}

}  // namespace egov::test
