// The unified API's side of SPID: the portal exchanges the SAML Response it received from the
// identity provider for a bus session (POST /api/v1/spid/session), then sends the session
// token as `X-Spid-Session` with each request; the exchange's identity comes from it and
// routes' `require` is enforced before their steps.
#include <ctime>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/engine/citizen_access.hpp"
#include "core/log/log.hpp"
#include "core/net/api.hpp"
#include "core/net/problem.hpp"
#include "core/net/run_on.hpp"
#include "core/net/spid_sessions.hpp"

namespace egov::core {
namespace {

constexpr std::size_t kMaxRequestId = 256;
constexpr std::size_t kMaxToken = 128;

struct SessionRequest {
  std::string saml_response;  // the SAMLResponse form value the IdP posted (base64), or XML
  std::string request_id;     // the AuthnRequest's ID, to check InResponseTo; optional
};

Result<SessionRequest> parseSessionRequest(const HttpRequest& request) {
  auto type = request[http::field::content_type];
  if (!std::string_view(type.data(), type.size()).starts_with("application/json")) {
    return makeError(ErrorKind::unsupported_media_type,
                     "send {\"saml_response\": \"<base64>\", \"request_id\": \"...\"} as "
                     "application/json");
  }
  rapidjson::Document doc;
  doc.Parse(request.body().data(), request.body().size());
  if (doc.HasParseError()) {
    return makeError(ErrorKind::bad_request, std::string("malformed JSON: ") +
                                                 rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) return makeError(ErrorKind::bad_request, "expected a JSON object");
  SessionRequest parsed;
  for (const auto& member : doc.GetObject()) {
    const std::string name(member.name.GetString(), member.name.GetStringLength());
    if (name != "saml_response" && name != "request_id") {
      return makeError(ErrorKind::bad_request,
                       "unknown member \"" + name + "\" (saml_response, request_id)");
    }
    if (!member.value.IsString()) {
      return makeError(ErrorKind::bad_request, "\"" + name + "\" must be a string");
    }
    (name == "saml_response" ? parsed.saml_response : parsed.request_id)
        .assign(member.value.GetString(), member.value.GetStringLength());
  }
  if (parsed.saml_response.empty()) {
    return makeError(ErrorKind::bad_request, "\"saml_response\" is missing");
  }
  if (parsed.request_id.size() > kMaxRequestId) {
    return makeError(ErrorKind::bad_request, "\"request_id\" is too long");
  }
  return parsed;
}

std::string isoTime(SystemTime instant) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(instant);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string sessionJson(const SpidSessions::Opened& opened, const Identity& identity) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("session");
  writer.String(opened.token);
  writer.Key("expires_at");
  writer.String(isoTime(opened.expires));
  writer.Key("fiscal_code");
  writer.String(identity.citizen_fiscal_code);
  writer.Key("given_name");
  writer.String(identity.given_name);
  writer.Key("family_name");
  writer.String(identity.family_name);
  writer.Key("spid_level");
  writer.Int(identity.spid_level);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string_view tokenOf(const HttpRequest& request) {
  auto it = request.find(kSpidSessionHeader);
  if (it == request.end()) return {};
  return std::string_view(it->value().data(), it->value().size());
}

}  // namespace

SpidSessions& ApiHandler::spidSessions() const {
  return *bus_.runtime().shared<SpidSessions>([] { return std::make_shared<SpidSessions>(); });
}

awaitable<HttpResponse> ApiHandler::spidSession(const HttpRequest& request) {
  auto answer = [&]() -> awaitable<Result<HttpResponse>> {
    auto generation = bus_.generation();
    if (!generation || bus_.draining()) {
      co_return makeError(ErrorKind::unavailable, "the bus is not serving");
    }
    if (!generation->spid) {
      co_return makeError(ErrorKind::not_found, "SPID is not configured (bus.yaml: spid)");
    }
    if (request.method() == http::verb::delete_) {
      const bool closed = spidSessions().close(tokenOf(request));
      logEvent(LogLevel::info, "spid session closed", {{"found", closed}});
      co_return plain(request, http::status::no_content, "", "text/plain");
    }
    if (request.method() != http::verb::post) {
      co_return makeError(ErrorKind::method_not_allowed, "POST a SAML Response, or DELETE");
    }
    auto parsed = parseSessionRequest(request);
    if (!parsed) co_return std::move(parsed).error();
    const auto now = std::chrono::system_clock::now();
    // Parsing and RSA verification are CPU work for the worker pool, not the I/O thread.
    auto verify = [verifier = generation->spid, in = std::move(parsed).value(), now] {
      return verifier->verify(in.saml_response, in.request_id, now);
    };
    auto login = co_await runOn(bus_.runtime().workers(), verify);
    if (!login) {
      logEvent(LogLevel::info, "spid session refused", {{"reason", login.error().message}});
      auto error = std::move(login).error();
      if (error.kind == ErrorKind::unauthorized) error.message = "SPID: " + error.message;
      co_return error;
    }
    auto opened = spidSessions().open(*login, now, generation->spid->sessionTtl(),
                                      generation->spid->maxSessions());
    if (!opened) co_return std::move(opened).error();
    logEvent(LogLevel::info, "spid session opened",
             {{"issuer", login->issuer},
              {"citizen", login->identity.citizen_fiscal_code},
              {"spid_level", static_cast<std::int64_t>(login->identity.spid_level)}});
    co_return plain(request, http::status::created, sessionJson(*opened, login->identity),
                    "application/json");
  };
  auto result = co_await answer();
  if (result) co_return std::move(result).value();
  auto response = plain(request, static_cast<http::status>(httpStatus(result.error().kind)),
                        problemJson(result.error(), ""), "application/problem+json");
  if (result.error().kind == ErrorKind::method_not_allowed) {
    response.set(http::field::allow, "POST, DELETE");
  }
  if (result.error().retry_after_s > 0) {
    response.set(http::field::retry_after, std::to_string(result.error().retry_after_s));
  }
  co_return response;
}

Result<void> ApiHandler::admitCitizen(const HttpRequest& request, const Generation& generation,
                                      const Route& route, Exchange& exchange) {
  if (auto token = tokenOf(request); !token.empty()) {
    if (!generation.spid) {
      return makeError(ErrorKind::unauthorized, "SPID is not configured on this bus");
    }
    std::optional<Identity> citizen;
    if (token.size() <= kMaxToken) {
      citizen = spidSessions().find(token, std::chrono::system_clock::now());
    }
    if (!citizen) {
      return makeError(ErrorKind::unauthorized,
                       "the SPID session has expired or does not exist: open a new one");
    }
    exchange.identity.citizen_fiscal_code = std::move(citizen->citizen_fiscal_code);
    exchange.identity.given_name = std::move(citizen->given_name);
    exchange.identity.family_name = std::move(citizen->family_name);
    exchange.identity.spid_level = citizen->spid_level;
  }
  return checkCitizenAccess(route, exchange);
}

}  // namespace egov::core
