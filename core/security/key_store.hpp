// The API key store: an SQLite file in the data folder (auth.keys, default var/keys.db),
// written by `egovbus key create|revoke` and read by the bus with each config generation.
// It holds, per key, its public id, its client, its kind (client or admin), its own scopes,
// a random salt and PBKDF2-HMAC-SHA256 of the key: never the key itself, which is printed
// once at creation. Control plane only: the message path uses the rows loaded into a
// generation (core/security/credentials.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "core/common/result.hpp"
#include "core/security/scope.hpp"

namespace egov::core {

enum class KeyKind { client, admin };
std::string_view keyKindName(KeyKind kind);

struct StoredKey {
  std::string id;      // public: 12 hex characters, part of the key text
  std::string client;  // the client (or, for admin keys, the operator) it identifies
  KeyKind kind = KeyKind::client;
  // The key's own scopes; when empty, the client's scopes declared in bus.yaml apply alone.
  Scope scope;
  std::string salt;  // raw bytes
  std::string hash;  // raw PBKDF2-HMAC-SHA256 bytes
  int iterations = 0;
  std::int64_t created_ms = 0;
  std::int64_t revoked_ms = 0;  // 0 while valid
};

struct CreatedKey {
  std::string key;  // the secret, shown once
  StoredKey record;
};

// Key text: "egk_<id>_<64 hex>" for clients, "ega_<id>_<64 hex>" for admin keys.
struct KeyReference {
  KeyKind kind;
  std::string id;
};
std::optional<KeyReference> parseKeyText(std::string_view text);

// PBKDF2 of `text` with the record's salt and iterations, compared in constant time.
// Costs milliseconds: never on an I/O thread.
bool keyMatches(std::string_view text, const StoredKey& record);

class KeyStore {
 public:
  static constexpr int kDefaultIterations = 100'000;

  // Opens (creating the folder and file, mode 0600) for writing.
  static Result<std::unique_ptr<KeyStore>> open(const std::filesystem::path& file);
  // The keys not revoked; a missing file is an empty store (nothing is created).
  static Result<std::vector<StoredKey>> readActive(const std::filesystem::path& file);

  Result<CreatedKey> create(const std::string& client, KeyKind kind, Scope scope,
                            int iterations = kDefaultIterations);
  Result<std::vector<StoredKey>> list();
  // False when there is no such key (or it was already revoked).
  Result<bool> revoke(const std::string& id);

 private:
  struct DbDeleter {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  explicit KeyStore(std::unique_ptr<sqlite3, DbDeleter> db) : db_(std::move(db)) {}
  std::unique_ptr<sqlite3, DbDeleter> db_;
};

}  // namespace egov::core
