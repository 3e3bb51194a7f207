#include "adapters/anpr/anpr_reply.hpp"

#include <algorithm>
#include <cctype>

#include <curl/curl.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "adapters/http/http_config.hpp"
#include "core/json/json_xml.hpp"
#include "core/log/log.hpp"

namespace egov::adapters::anpr {
namespace {

using core::ErrorKind;

constexpr std::size_t kMaxQuoted = 160;  // characters of one provider text in a message
constexpr std::size_t kMaxListed = 3;    // errors of a list quoted in a message

// A provider's text fit for a one-line message: printable, short, fiscal codes masked.
std::string quoted(std::string_view text) {
  std::string out = core::maskFiscalCodes(text.substr(0, kMaxQuoted));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

std::string stringMember(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return {};
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

bool parseObject(const std::string& body, rapidjson::Document& doc) {
  // kParseStopWhenDoneFlag is off: trailing garbage is an error too. Depth is bounded by the
  // body size limit the curl loop enforced.
  doc.Parse(body.c_str(), body.size());
  return !doc.HasParseError() && doc.IsObject();
}

// "EN122 Soggetto non presente; ..." from ANPR's listaErrori, or "" when there is none.
std::string listaErrori(const rapidjson::Document& doc) {
  auto it = doc.FindMember("listaErrori");
  if (it == doc.MemberEnd() || !it->value.IsArray() || it->value.Empty()) return {};
  std::string out;
  std::size_t n = 0;
  for (const auto& error : it->value.GetArray()) {
    if (n++ == kMaxListed) {
      out += "; ...";
      break;
    }
    std::string code = stringMember(error, "codiceErroreAnomalia");
    std::string text = stringMember(error, "testoErroreAnomalia");
    if (!out.empty()) out += "; ";
    out += quoted(code.empty() ? "?" : code);
    if (!text.empty()) out += " " + quoted(text);
  }
  return out;
}

// "015-0008 Unable to generate a token..." (PDND's errors[]) or the RFC 7807 title/detail.
std::string problemText(const rapidjson::Document& doc) {
  std::string out;
  auto errors = doc.FindMember("errors");
  if (errors != doc.MemberEnd() && errors->value.IsArray()) {
    std::size_t n = 0;
    for (const auto& error : errors->value.GetArray()) {
      if (n++ == kMaxListed) break;
      if (!out.empty()) out += "; ";
      out += quoted(stringMember(error, "code")) + " " + quoted(stringMember(error, "detail"));
    }
    if (!out.empty()) return out;
  }
  const std::string title = stringMember(doc, "title");
  const std::string detail = stringMember(doc, "detail");
  out = quoted(title);
  if (!detail.empty()) out += (out.empty() ? "" : ": ") + quoted(detail);
  return out;
}

// What the provider said about an error, whichever shape it used.
std::string errorText(const http::HttpReply& reply, bool* has_lista = nullptr) {
  rapidjson::Document doc;
  if (!parseObject(reply.body, doc)) return {};
  std::string lista = listaErrori(doc);
  if (has_lista) *has_lista = !lista.empty();
  return lista.empty() ? problemText(doc) : lista;
}

core::Error statusError(ErrorKind kind, long status, const std::string& prefix,
                        const std::string& text) {
  core::Error error = core::makeError(
      kind, prefix + ": HTTP " + std::to_string(status) + (text.empty() ? "" : ": " + text));
  error.backend_status = static_cast<int>(status);
  return error;
}

int retryAfterOr(const http::HttpReply& reply, std::chrono::milliseconds fallback) {
  if (auto seconds = retryAfterSeconds(reply.retry_after, std::time(nullptr))) return *seconds;
  return static_cast<int>(
      std::max<std::int64_t>(1, std::chrono::ceil<std::chrono::seconds>(fallback).count()));
}

}  // namespace

std::optional<int> retryAfterSeconds(const std::string& value, std::time_t now) {
  std::string text = value;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.erase(0, 1);
  if (text.empty()) return std::nullopt;
  if (std::all_of(text.begin(), text.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (text.size() > 9) return 86400;  // absurdly long: one day
    return std::max(1, std::min(86400, std::stoi(text)));
  }
  const std::time_t at = curl_getdate(text.c_str(), nullptr);
  if (at < 0) return std::nullopt;
  return static_cast<int>(std::clamp<std::int64_t>(at - now, 1, 86400));
}

core::Result<Voucher> readTokenReply(const http::HttpReply& reply,
                                     const TokenReplyContext& context) {
  const std::string prefix = context.name + ": PDND token endpoint";
  const long status = reply.status;
  if (status == 429) {
    core::Error error = statusError(ErrorKind::rate_limited, status, prefix, errorText(reply));
    error.retry_after_s = retryAfterOr(reply, context.default_retry);
    return error;
  }
  if (status == 400 || status == 401 || status == 403) {
    return statusError(ErrorKind::backend_rejected, status, prefix + " refused the voucher request",
                       errorText(reply));
  }
  if (status == 408 || (status >= 500 && status <= 599)) {
    return statusError(ErrorKind::backend_unavailable, status, prefix, errorText(reply));
  }
  if (status != 200) return statusError(ErrorKind::backend_invalid, status, prefix, {});

  rapidjson::Document doc;
  if (!parseObject(reply.body, doc)) {
    return core::makeError(ErrorKind::backend_invalid,
                           prefix + ": the answer is not a JSON object");
  }
  const std::string token = stringMember(doc, "access_token");
  std::string type = stringMember(doc, "token_type");
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto expires = doc.FindMember("expires_in");
  if (token.empty() || type != "bearer" || expires == doc.MemberEnd() ||
      !expires->value.IsInt64() || expires->value.GetInt64() <= 0) {
    return core::makeError(ErrorKind::backend_invalid,
                           prefix +
                               ": the answer lacks access_token, token_type Bearer or a "
                               "positive expires_in");
  }
  if (!http::isHeaderValue(token) || token.find(' ') != std::string::npos) {
    return core::makeError(ErrorKind::backend_invalid,
                           prefix + ": the access_token is not a token");
  }
  const std::chrono::milliseconds lifetime = std::chrono::seconds(expires->value.GetInt64());
  // A short-lived voucher is still reused for half its life rather than never.
  const auto usable = std::max(lifetime - context.margin, lifetime / 2);
  Voucher voucher;
  voucher.access_token = token;
  voucher.refresh_at = std::min(context.now + usable, context.latest_refresh);
  return voucher;
}

core::Result<core::XmlDocPtr> readEserviceReply(const http::HttpReply& reply,
                                                std::uint64_t max_bytes,
                                                std::chrono::milliseconds default_retry,
                                                const std::string& name) {
  const long status = reply.status;
  if (status >= 200 && status <= 299) {
    if (reply.body.empty()) {
      return core::makeError(ErrorKind::backend_invalid, name + ": empty answer");
    }
    core::JsonLimits limits;
    limits.max_bytes = max_bytes;
    auto doc = core::jsonToXml(reply.body, limits);
    if (!doc) {
      return core::makeError(ErrorKind::backend_invalid,
                             name + ": invalid JSON answer: " + doc.error().message);
    }
    if (std::string_view(reinterpret_cast<const char*>(xmlDocGetRootElement(doc->get())->name)) !=
        "map") {
      return core::makeError(ErrorKind::backend_invalid, name + ": the answer is not an object");
    }
    return doc;
  }
  bool has_lista = false;
  const std::string text = errorText(reply, &has_lista);
  if (status == 429) {
    core::Error error = statusError(ErrorKind::rate_limited, status, name, text);
    error.retry_after_s = retryAfterOr(reply, default_retry);
    return error;
  }
  if (status == 404 && has_lista) return statusError(ErrorKind::not_found, status, name, text);
  if (status == 408 || (status >= 500 && status <= 599)) {
    return statusError(ErrorKind::backend_unavailable, status, name, text);
  }
  if (status >= 400 && status <= 499) {
    return statusError(ErrorKind::backend_rejected, status, name, text);
  }
  return statusError(ErrorKind::backend_invalid, status, name, "(redirects are not followed)");
}

}  // namespace egov::adapters::anpr
