#include "core/security/key_store.hpp"

#include <sys/stat.h>

#include "core/journal/journal.hpp"
#include "core/journal/sqlite_statement.hpp"
#include "core/security/crypto.hpp"

namespace egov::core {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  client TEXT NOT NULL,
  kind TEXT NOT NULL,
  tenants TEXT NOT NULL,
  services TEXT NOT NULL,
  salt TEXT NOT NULL,
  hash TEXT NOT NULL,
  iterations INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  revoked_ms INTEGER NOT NULL DEFAULT 0
);
)sql";

constexpr const char* kColumns =
    "id, client, kind, tenants, services, salt, hash, iterations, created_ms, revoked_ms";

std::string joinList(const std::vector<std::string>& items) {
  std::string text;
  for (std::size_t i = 0; i < items.size(); ++i) text += (i ? "," : "") + items[i];
  return text;
}

StoredKey readRow(const SqliteStatement& row) {
  StoredKey key;
  key.id = row.text(0);
  key.client = row.text(1);
  key.kind = row.text(2) == "admin" ? KeyKind::admin : KeyKind::client;
  key.scope.tenants = splitList(row.text(3));
  key.scope.services = splitList(row.text(4));
  key.salt = fromHex(row.text(5));
  key.hash = fromHex(row.text(6));
  key.iterations = static_cast<int>(row.integer(7));
  key.created_ms = row.integer(8);
  key.revoked_ms = row.integer(9);
  return key;
}

Error storeError(sqlite3* db, const std::filesystem::path& file, std::string_view what) {
  return makeError(ErrorKind::internal, "key store " + file.string() + ": " + std::string(what) +
                                            ": " + (db ? sqlite3_errmsg(db) : "cannot open"));
}

}  // namespace

std::string_view keyKindName(KeyKind kind) {
  return kind == KeyKind::admin ? "admin" : "client";
}

std::optional<KeyReference> parseKeyText(std::string_view text) {
  // egk_ + 12 hex + _ + 64 hex
  if (text.size() != 4 + 12 + 1 + 64 || text[16] != '_') return std::nullopt;
  KeyKind kind;
  if (text.starts_with("egk_")) {
    kind = KeyKind::client;
  } else if (text.starts_with("ega_")) {
    kind = KeyKind::admin;
  } else {
    return std::nullopt;
  }
  auto id = text.substr(4, 12);
  if (fromHex(id).empty() || fromHex(text.substr(17)).empty()) return std::nullopt;
  return KeyReference{kind, std::string(id)};
}

bool keyMatches(std::string_view text, const StoredKey& record) {
  if (record.iterations <= 0 || record.hash.empty()) return false;
  return constantTimeEqual(pbkdf2Sha256(text, record.salt, record.iterations), record.hash);
}

Result<std::unique_ptr<KeyStore>> KeyStore::open(const std::filesystem::path& file) {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  const bool existed = std::filesystem::exists(file, ec);
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::unique_ptr<sqlite3, DbDeleter> db(raw);
  if (rc != SQLITE_OK) return storeError(raw, file, "open");
  if (!existed) ::chmod(file.c_str(), 0600);  // hashes only, but nobody else needs to read them
  sqlite3_busy_timeout(db.get(), 5000);
  char* message = nullptr;
  if (sqlite3_exec(db.get(), kSchema, nullptr, nullptr, &message) != SQLITE_OK) {
    sqlite3_free(message);
    return storeError(db.get(), file, "create schema");
  }
  return std::unique_ptr<KeyStore>(new KeyStore(std::move(db)));
}

Result<std::vector<StoredKey>> KeyStore::readActive(const std::filesystem::path& file) {
  std::vector<StoredKey> keys;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return keys;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, DbDeleter> db(raw);
  if (rc != SQLITE_OK) return storeError(raw, file, "open");
  sqlite3_busy_timeout(db.get(), 5000);
  SqliteStatement select(db.get(), std::string("SELECT ") + kColumns +
                                       " FROM api_keys WHERE revoked_ms = 0 ORDER BY id");
  if (!select.prepared()) return storeError(db.get(), file, "read keys");
  int step;
  while ((step = select.step()) == SQLITE_ROW) keys.push_back(readRow(select));
  if (step != SQLITE_DONE) return storeError(db.get(), file, "read keys");
  return keys;
}

Result<CreatedKey> KeyStore::create(const std::string& client, KeyKind kind, Scope scope,
                                    int iterations) {
  CreatedKey created;
  auto& record = created.record;
  record.client = client;
  record.kind = kind;
  record.scope = std::move(scope);
  record.iterations = iterations;
  record.created_ms = nowMs();
  record.salt = randomBytes(16);
  // A random id may collide with an existing one (2^48 ids): try again then.
  for (int attempt = 0; attempt < 5; ++attempt) {
    record.id = toHex(randomBytes(6));
    created.key = std::string(kind == KeyKind::admin ? "ega_" : "egk_") + record.id + "_" +
                  toHex(randomBytes(32));
    record.hash = pbkdf2Sha256(created.key, record.salt, iterations);
    SqliteStatement insert(db_.get(), std::string("INSERT INTO api_keys (") + kColumns +
                                          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)");
    insert.bind(1, record.id)
        .bind(2, record.client)
        .bind(3, keyKindName(kind))
        .bind(4, joinList(record.scope.tenants))
        .bind(5, joinList(record.scope.services))
        .bind(6, toHex(record.salt))
        .bind(7, toHex(record.hash))
        .bind(8, std::int64_t{iterations})
        .bind(9, record.created_ms);
    const int rc = insert.step();
    if (rc == SQLITE_DONE) return created;
    if (rc != SQLITE_CONSTRAINT) break;
  }
  return makeError(ErrorKind::internal,
                   std::string("key store: cannot insert: ") + sqlite3_errmsg(db_.get()));
}

Result<std::vector<StoredKey>> KeyStore::list() {
  std::vector<StoredKey> keys;
  SqliteStatement select(db_.get(),
                         std::string("SELECT ") + kColumns + " FROM api_keys ORDER BY created_ms");
  int step;
  while ((step = select.step()) == SQLITE_ROW) keys.push_back(readRow(select));
  if (step != SQLITE_DONE) {
    return makeError(ErrorKind::internal,
                     std::string("key store: cannot list: ") + sqlite3_errmsg(db_.get()));
  }
  return keys;
}

Result<bool> KeyStore::revoke(const std::string& id) {
  SqliteStatement update(db_.get(),
                         "UPDATE api_keys SET revoked_ms = ? WHERE id = ? AND revoked_ms = 0");
  update.bind(1, nowMs()).bind(2, id);
  if (update.step() != SQLITE_DONE) {
    return makeError(ErrorKind::internal,
                     std::string("key store: cannot revoke: ") + sqlite3_errmsg(db_.get()));
  }
  return sqlite3_changes(db_.get()) > 0;
}

}  // namespace egov::core
