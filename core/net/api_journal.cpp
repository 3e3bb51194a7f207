// The unified API's side of the journal: one-way hand-off (202) and exchange states.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/engine/dispatch.hpp"
#include "core/json/json_xml.hpp"
#include "core/log/log.hpp"
#include "core/net/api.hpp"

namespace egov::core {
namespace {

constexpr std::size_t kMaxIdempotencyKey = 128;

// Printable ASCII only, so a key is safe to store, compare and log.
Result<std::string> idempotencyKeyOf(const HttpRequest& request) {
  auto it = request.find("Idempotency-Key");
  if (it == request.end()) return std::string();
  std::string key(it->value());
  if (key.empty() || key.size() > kMaxIdempotencyKey) {
    return makeError(ErrorKind::bad_request, "Idempotency-Key must be 1 to 128 characters");
  }
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) {
      return makeError(ErrorKind::bad_request, "Idempotency-Key must be printable ASCII");
    }
  }
  return key;
}

std::string statusUrl(const Tenant& tenant, const std::string& id) {
  return "/api/v1/" + tenant.slug + "/exchanges/" + id;
}

std::string isoTime(EpochMs ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace

awaitable<Result<void>> ApiHandler::handOff(const HttpRequest& request,
                                            const Generation& generation, const Tenant& tenant,
                                            const Route& route, Exchange& exchange,
                                            HeaderList& extra_headers, std::string& reply) {
  auto key = idempotencyKeyOf(request);
  if (!key) co_return std::move(key).error();
  Submission submission{std::move(key).value(), std::nullopt};
  auto stored = co_await submitExchange(bus_, generation, tenant, route, exchange, submission);
  if (!stored) co_return std::move(stored).error();
  if (stored->duplicate) {
    exchange.id = stored->journal_id;  // the caller learns the id of the exchange it sent first
    extra_headers.emplace_back("Idempotent-Replayed", "true");
  }
  extra_headers.emplace_back("Location", statusUrl(tenant, stored->journal_id));
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("id");
  writer.String(stored->journal_id);
  writer.Key("state");
  writer.String("queued");
  writer.Key("status_url");
  writer.String(statusUrl(tenant, stored->journal_id));
  writer.EndObject();
  reply.assign(buffer.GetString(), buffer.GetSize());
  exchange.status = 202;
  co_return Result<void>{};
}

awaitable<Result<void>> ApiHandler::exchangeStatus(const Tenant& tenant, const std::string& id,
                                                   const Principal& principal, std::string& reply) {
  Journal* journal = bus_.journal();
  if (!journal) co_return makeError(ErrorKind::not_found, "no exchange " + id);
  auto found = co_await journal->find(tenant.istat, id);
  if (!found) co_return std::move(found).error();
  // Another tenant's exchange, or one of a service out of the client's scope, is as unknown
  // as a missing one.
  if (!found->has_value() || !principal.allows(tenant.istat, tenant.slug, (*found)->service)) {
    co_return makeError(ErrorKind::not_found, "no exchange " + id);
  }
  const JournalEntry& entry = **found;
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("id");
  writer.String(entry.id);
  writer.Key("tenant");
  writer.String(entry.tenant_slug);
  writer.Key("service");
  writer.String(entry.service);
  writer.Key("state");
  writer.String(std::string(entryStateName(entry.state)));
  writer.Key("attempts");
  writer.Int(entry.attempts);
  writer.Key("created");
  writer.String(isoTime(entry.created_ms));
  writer.Key("updated");
  writer.String(isoTime(entry.updated_ms));
  if (entry.state == EntryState::queued) {
    writer.Key("next_attempt");
    writer.String(isoTime(entry.next_attempt_ms));
  }
  if (!entry.last_error.empty()) {
    writer.Key("last_error");
    writer.String(maskFiscalCodes(entry.last_error));
  }
  writer.EndObject();
  reply.assign(buffer.GetString(), buffer.GetSize());
  co_return Result<void>{};
}

}  // namespace egov::core
