// Bus sessions of citizens authenticated with SPID: POST /api/v1/spid/session exchanges a
// verified SAML Response for an opaque token the portal then sends as X-Spid-Session.
//
// Kept in this process's memory (one store per process, across config reloads): a restart
// ends every session, and several bus instances behind a load balancer do not share them.
// Tokens are 256 random bits; the store keeps only their SHA-256, so neither a memory dump
// nor a lookup's timing reveals a usable token. Thread-safe (one mutex; every operation is a
// hash lookup, and expired entries are swept at most once per second of use).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/engine/spid_verifier.hpp"

namespace egov::core {

class SpidSessions {
 public:
  struct Opened {
    std::string token;
    SystemTime expires;
  };

  // Opens a session for a verified login, lasting `ttl`. Each assertion opens at most one
  // session (until it is no longer usable): a replayed Response is ErrorKind::unauthorized.
  // With `max_sessions` open, ErrorKind::unavailable.
  Result<Opened> open(const SpidLogin& login, SystemTime now, std::chrono::milliseconds ttl,
                      std::size_t max_sessions);
  // The identity of an open session; nullopt when unknown or expired.
  std::optional<Identity> find(std::string_view token, SystemTime now);
  // Ends a session; false when there was none.
  bool close(std::string_view token);
  std::size_t size() const;

 private:
  struct Session {
    Identity identity;
    SystemTime expires;
  };
  // Drops expired entries, at most once a second unless forced; with mutex_ held.
  void sweep(SystemTime now, bool force = false);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Session> sessions_;  // by SHA-256 of the token
  std::map<std::string, SystemTime> used_assertions_;  // issuer + ID -> usable until
  SystemTime last_sweep_{};
};

}  // namespace egov::core
