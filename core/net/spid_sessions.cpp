#include "core/net/spid_sessions.hpp"

#include <array>

#include <openssl/evp.h>
#include <openssl/rand.h>

namespace egov::core {
namespace {

constexpr std::size_t kTokenBytes = 32;

std::string sha256(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(digest.data()), length);
}

// base64url without padding (RFC 4648 section 5), so the token is a plain header value.
std::string base64Url(const unsigned char* bytes, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (auto& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

}  // namespace

Result<SpidSessions::Opened> SpidSessions::open(const SpidLogin& login, SystemTime now,
                                                std::chrono::milliseconds ttl,
                                                std::size_t max_sessions) {
  std::array<unsigned char, kTokenBytes> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    return makeError(ErrorKind::internal, "no random bytes for a session token");
  }
  Opened opened{base64Url(random.data(), random.size()), now + ttl};
  const std::string key = sha256(opened.token);
  if (key.empty()) return makeError(ErrorKind::internal, "cannot hash a session token");

  std::lock_guard lock(mutex_);
  sweep(now);
  const std::string assertion = login.issuer + '\n' + login.assertion_id;
  if (auto it = used_assertions_.find(assertion); it != used_assertions_.end()) {
    return makeError(ErrorKind::unauthorized,
                     "this SAML Response was used before: ask the citizen to log in again");
  }
  if (sessions_.size() >= max_sessions) {
    sweep(now, /*force=*/true);
    if (sessions_.size() >= max_sessions) {
      Error error = makeError(ErrorKind::unavailable, "too many open SPID sessions");
      error.retry_after_s = 60;
      return error;
    }
  }
  used_assertions_.emplace(assertion, login.usable_until);
  sessions_.emplace(key, Session{login.identity, opened.expires});
  return opened;
}

std::optional<Identity> SpidSessions::find(std::string_view token, SystemTime now) {
  const std::string key = sha256(token);
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second.identity;
}

bool SpidSessions::close(std::string_view token) {
  const std::string key = sha256(token);
  std::lock_guard lock(mutex_);
  return sessions_.erase(key) > 0;
}

std::size_t SpidSessions::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void SpidSessions::sweep(SystemTime now, bool force) {
  if (!force && now - last_sweep_ < std::chrono::seconds(1)) return;
  last_sweep_ = now;
  std::erase_if(sessions_, [&](const auto& entry) { return entry.second.expires <= now; });
  std::erase_if(used_assertions_, [&](const auto& entry) { return entry.second <= now; });
}

}  // namespace egov::core
