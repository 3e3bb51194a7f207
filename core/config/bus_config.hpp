// conf/bus.yaml: the process-wide settings. Parsed once per config generation.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config/config_node.hpp"

namespace egov::core {

struct Limits {
  std::uint64_t max_body_bytes = 1024 * 1024;
  std::uint64_t max_header_bytes = 16 * 1024;
  std::size_t max_headers = 100;                    // header fields in one request
  std::chrono::milliseconds read_timeout{30'000};   // a request must arrive whole within this
  std::chrono::milliseconds idle_timeout{60'000};   // keep-alive connection with no request
  std::chrono::milliseconds drain_timeout{20'000};  // SIGTERM: time given to requests in flight
  unsigned json_depth = 64;
  unsigned xml_depth = 256;
};

// A lookup table for the mapping function egov:lookup(table, key [, column]).
struct TableSpec {
  std::string name;
  std::filesystem::path file;
  std::string key_column;
  std::string value_column = "value";
  char delimiter = ',';
  ConfigNode where;  // for error messages
};

// The journal of one-way exchanges (read at start; a reload does not move it).
struct JournalConfig {
  enum class Driver { sqlite, postgresql };
  Driver driver = Driver::sqlite;
  std::filesystem::path path;  // sqlite: the file; default ../var/journal.db beside conf/
  std::string dsn;             // postgresql: libpq conninfo or URI (a ${env:} reference)
  int connections = 2;         // postgresql: connections (and journal threads)
  std::chrono::milliseconds idempotency_window{24 * 3'600'000};
  std::chrono::milliseconds poll_interval{200};  // how often due deliveries are looked for
  std::chrono::milliseconds lease{60'000};  // a claimed delivery not settled by then is retaken
  int deliveries = 16;                      // deliveries in flight at once
};

// The listener's TLS (listen.tls), read at start: a reload does not change it.
struct TlsConfig {
  bool enabled = false;
  std::filesystem::path cert;       // PEM certificate chain of the bus
  std::filesystem::path key;        // PEM private key
  std::filesystem::path client_ca;  // PEM CAs that sign client certificates; empty: no mTLS
  bool require_client_cert = true;  // with client_ca: refuse a handshake without one
  std::string min_version = "1.2";  // "1.2" or "1.3"
};

// Authentication (auth:).
struct AuthConfig {
  std::filesystem::path keys;  // the key store; default ../var/keys.db beside conf/
  // client_rate_limit: the request rate of every API client without a `rate_limit` of its
  // own in `clients:` (declared there or not); 0: no limit.
  double client_rate = 0;   // requests per second
  double client_burst = 0;  // bucket size
};

// The audit trail of exchanges touching personal data (audit:), read at start.
struct AuditConfig {
  bool enabled = true;
  std::filesystem::path path;              // SQLite file; default ../var/audit.db beside conf/
  std::chrono::milliseconds retention{0};  // 0: keep every record
  std::string pseudonym_key;  // HMAC key for citizens' fiscal codes; empty: generated beside path
  std::vector<std::string> services;  // also audited without a fiscal code in the request
};

struct BusConfig {
  std::filesystem::path file;  // bus.yaml itself
  std::string listen = "127.0.0.1:8080";
  int io_threads = 2;
  int worker_threads = 4;
  Limits limits;
  std::chrono::milliseconds default_deadline{10'000};
  std::filesystem::path tenants_dir;  // absolute, resolved against bus.yaml's folder
  std::filesystem::path profiles_dir;
  std::filesystem::path mappings_dir;
  std::filesystem::path schemas_dir;
  std::vector<TableSpec> tables;
  JournalConfig journal;
  TlsConfig tls;
  AuthConfig auth;
  AuditConfig audit;
  bool spid = false;  // a `spid` section is configured (routes may then require a citizen)
};

BusConfig parseBusConfig(const ConfigNode& root, const std::filesystem::path& file);

// Splits "host:port"; false when malformed.
bool splitHostPort(const std::string& address, std::string& host, unsigned short& port);

}  // namespace egov::core
