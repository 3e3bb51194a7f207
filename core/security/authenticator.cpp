#include "core/security/authenticator.hpp"

#include <boost/asio/redirect_error.hpp>

#include "core/engine/endpoint.hpp"
#include "core/log/log.hpp"
#include "core/net/run_on.hpp"
#include "core/security/crypto.hpp"

namespace egov::core {

bool Principal::allowsTenant(std::string_view istat, std::string_view slug) const {
  if (!client_scope && !key_scope) return false;
  return (!client_scope || client_scope->allowsTenant(istat, slug)) &&
         (!key_scope || key_scope->allowsTenant(istat, slug));
}

bool Principal::allows(std::string_view istat, std::string_view slug,
                       std::string_view service) const {
  return allowsTenant(istat, slug) && (!client_scope || client_scope->allowsService(service)) &&
         (!key_scope || key_scope->allowsService(service));
}

bool Principal::allTenants() const {
  if (!client_scope && !key_scope) return false;
  return (!client_scope || client_scope->allTenants()) && (!key_scope || key_scope->allTenants());
}

Authenticator& Authenticator::of(RuntimeServices& runtime) {
  return *runtime.shared<Authenticator>(
      [&runtime] { return std::make_shared<Authenticator>(runtime.workers()); });
}

Principal Authenticator::principalOf(const StoredKey& key, const Credentials& credentials) const {
  Principal principal;
  principal.name = key.client;
  principal.kind = key.kind;
  principal.method = "api-key";
  principal.key_id = key.id;
  if (const auto* client = credentials.client(key.client); client && key.kind == KeyKind::client) {
    principal.client_scope = &client->scope;
  }
  if (!key.scope.tenants.empty() || !key.scope.services.empty()) principal.key_scope = &key.scope;
  return principal;
}

std::optional<Authenticator::Cached> Authenticator::cached(const std::string& digest) {
  std::lock_guard lock(mutex_);
  auto it = cache_.find(digest);
  if (it == cache_.end()) return std::nullopt;
  return it->second;
}

void Authenticator::remember(std::string digest, Cached entry) {
  std::lock_guard lock(mutex_);
  if (cache_.size() >= kCacheCapacity) cache_.clear();  // rare: each miss costs one PBKDF2
  cache_[std::move(digest)] = std::move(entry);
}

namespace {

Error refused(std::string_view reason, std::string_view key_id) {
  logEvent(LogLevel::info, "authentication refused", {{"reason", reason}, {"key_id", key_id}});
  return makeError(ErrorKind::unauthorized, kUnauthorizedDetail);
}

// "Bearer <token>", the scheme case-insensitive; empty when it is anything else.
std::string_view bearerToken(std::string_view value) {
  if (value.size() < 7) return {};
  for (std::size_t i = 0; i < 6; ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != "bearer"[i]) return {};
  }
  if (value[6] != ' ') return {};
  value.remove_prefix(7);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

}  // namespace

Result<Principal> Authenticator::byCertificate(const PeerCertificate* peer,
                                               const Credentials& credentials) {
  if (!peer) return refused("no credentials", "");
  const auto* client = credentials.byCertificate(*peer);
  if (!client) return refused("client certificate not mapped to a client", "");
  Principal principal;
  principal.name = client->name;
  principal.method = "certificate";
  principal.client_scope = &client->scope;
  return principal;
}

awaitable<Result<Principal>> Authenticator::authenticate(const HttpRequest& request,
                                                         const PeerCertificate* peer,
                                                         const Credentials& credentials) {
  if (request.count(http::field::authorization) > 1) {
    co_return refused("several Authorization headers", "");
  }
  auto header = request.find(http::field::authorization);
  if (header == request.end()) co_return byCertificate(peer, credentials);
  const auto text = bearerToken(std::string_view(header->value().data(), header->value().size()));
  const auto reference = parseKeyText(text);
  if (!reference) co_return refused("not a Bearer API key", "");
  const auto* record = credentials.key(reference->id);
  if (!record || record->kind != reference->kind) {
    co_return refused("unknown or revoked key", reference->id);
  }
  auto digest = sha256(text);
  if (const auto hit = cached(digest);
      hit && hit->id == record->id && constantTimeEqual(hit->hash, record->hash)) {
    co_return principalOf(*record, credentials);
  }
  bool leader = false;
  {
    std::lock_guard lock(mutex_);
    leader = in_flight_.insert(digest).second;
  }
  if (!leader) {
    // The same key text is being verified for another request: wait for that verdict
    // (polling the cache with a timer of this coroutine's own, bounded to ~10 s).
    net::steady_timer timer(co_await net::this_coro::executor);
    for (int i = 0; i < 2000; ++i) {
      timer.expires_after(std::chrono::milliseconds(5));
      boost::system::error_code ec;
      co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
      if (const auto hit = cached(digest); hit && hit->id == record->id) {
        co_return principalOf(*record, credentials);
      }
      std::lock_guard lock(mutex_);
      if (!in_flight_.contains(digest)) break;
    }
    co_return refused("wrong key", reference->id);
  }
  auto done = [&] {
    std::lock_guard lock(mutex_);
    in_flight_.erase(digest);
  };
  if (verifying_.fetch_add(1) >= kMaxConcurrentVerifications) {
    --verifying_;
    done();
    Error busy = makeError(ErrorKind::unavailable, "too many key verifications under way");
    busy.retry_after_s = 1;
    co_return busy;
  }
  auto verify = [key = std::string(text), stored = *record]() -> Result<bool> {
    return keyMatches(key, stored);
  };
  auto matched = co_await runOn(workers_, verify);
  --verifying_;
  if (matched && *matched) remember(digest, Cached{record->id, record->hash});
  done();
  if (!matched) co_return std::move(matched).error();
  if (!*matched) co_return refused("wrong key", reference->id);
  co_return principalOf(*record, credentials);
}

}  // namespace egov::core
