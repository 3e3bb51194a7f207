#include "adapters/http/http_config.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>

#include <curl/curl.h>

namespace egov::adapters::http {
namespace {

constexpr std::uint64_t kMaxResponseBytesLimit = 1024ull * 1024 * 1024;

std::string lowerCase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct CurlStringDeleter {
  void operator()(char* text) const { curl_free(text); }
};

// Checks the URL with curl's own parser, so what passes here is what curl will accept.
void checkUrlImpl(const core::ConfigNode& settings, const std::string& url, std::string_view key) {
  std::unique_ptr<CURLU, UrlDeleter> parsed(curl_url());
  if (!parsed) {
    settings.errorAt(key, "out of memory");
    return;
  }
  if (CURLUcode rc = curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0); rc != CURLUE_OK) {
    settings.errorAt(key, std::string("invalid URL: ") + curl_url_strerror(rc));
    return;
  }
  char* raw = nullptr;
  curl_url_get(parsed.get(), CURLUPART_SCHEME, &raw, 0);
  std::unique_ptr<char, CurlStringDeleter> scheme(raw);
  if (!scheme ||
      (std::string_view(scheme.get()) != "http" && std::string_view(scheme.get()) != "https")) {
    settings.errorAt(key, "must start with http:// or https://");
    return;
  }
  raw = nullptr;
  // A fragment is never sent, and a request path appended after it would be lost.
  if (curl_url_get(parsed.get(), CURLUPART_FRAGMENT, &raw, 0) == CURLUE_OK) {
    curl_free(raw);
    settings.errorAt(key, "must not have a #fragment");
  }
}

void checkPositive(const core::ConfigNode& settings, std::string_view key,
                   std::chrono::milliseconds value) {
  if (value.count() <= 0) settings.errorAt(key, "must be greater than 0");
}

void checkReadable(const core::ConfigNode& tls, std::string_view key, const std::string& path) {
  if (path.empty()) return;
  std::ifstream in(path);
  if (!in) tls.errorAt(key, "cannot read file " + path);
}

}  // namespace

std::string resolveConfigPath(const core::ConfigNode& node, const std::string& path) {
  if (path.empty()) return path;
  const std::filesystem::path p(path);
  if (p.is_absolute()) return path;
  return (std::filesystem::path(node.file()).parent_path() / p).lexically_normal().string();
}

void readTlsSettings(const core::ConfigNode& tls, HttpTlsOptions& options) {
  if (!tls.allowKeys({"verify", "ca_file", "client_cert", "client_key"})) {
    if (!tls.isMap()) return;
  }
  options.verify = tls.boolean("verify", true);
  options.ca_file = resolveConfigPath(tls, tls.optionalString("ca_file"));
  options.client_cert = resolveConfigPath(tls, tls.optionalString("client_cert"));
  options.client_key = resolveConfigPath(tls, tls.optionalString("client_key"));
  checkReadable(tls, "ca_file", options.ca_file);
  checkReadable(tls, "client_cert", options.client_cert);
  checkReadable(tls, "client_key", options.client_key);
  if (!options.client_key.empty() && options.client_cert.empty()) {
    tls.errorAt("client_key", "client_key needs client_cert");
  }
}

bool isHttpMethod(std::string_view method) {
  return method == "GET" || method == "POST" || method == "PUT" || method == "DELETE" ||
         method == "PATCH";
}

bool isHeaderName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool isReservedHeader(std::string_view name) {
  // A configured value would corrupt the framing or the routing curl computes.
  const std::string lower = lowerCase(name);
  return lower == "content-length" || lower == "transfer-encoding" || lower == "host" ||
         lower == "expect";
}

bool isHeaderValue(std::string_view value) {
  // CR and LF would let a value start a new header or end the header block.
  return std::none_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

std::optional<HttpConfig> parseHttpConfig(const core::ConfigNode& settings) {
  const std::size_t errors_before = settings.errors().size();
  settings.allowKeys({"type", "url", "method", "format", "timeout", "connect_timeout", "headers",
                      "tls", "max_response_bytes"});
  if (!settings.isMap()) return std::nullopt;

  HttpConfig config;
  config.url = settings.requiredString("url");
  if (!config.url.empty()) checkHttpUrl(settings, config.url);

  std::string method = settings.optionalString("method", config.method);
  std::transform(method.begin(), method.end(), method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (isHttpMethod(method)) {
    config.method = method;
  } else {
    settings.errorAt("method", "expected GET, POST, PUT, DELETE or PATCH");
  }

  const std::string format = settings.optionalString("format", "json");
  if (format == "json") {
    config.format = HttpFormat::json;
  } else if (format == "xml") {
    config.format = HttpFormat::xml;
  } else {
    settings.errorAt("format", "expected json or xml");
  }

  if (settings.has("timeout")) {
    config.timeout = settings.duration("timeout", config.timeout);
    checkPositive(settings, "timeout", config.timeout);
  }
  if (settings.has("connect_timeout")) {
    config.connect_timeout = settings.duration("connect_timeout", config.connect_timeout);
    checkPositive(settings, "connect_timeout", config.connect_timeout);
  }
  if (settings.has("headers")) readHeaderSettings(settings["headers"], {}, config.headers);
  if (settings.has("tls")) readTlsSettings(settings["tls"], config.tls);
  if (settings.has("max_response_bytes")) {
    config.max_response_bytes = settings.bytes("max_response_bytes", config.max_response_bytes);
    if (config.max_response_bytes == 0 || config.max_response_bytes > kMaxResponseBytesLimit) {
      settings.errorAt("max_response_bytes", "must be between 1 byte and 1GiB");
    }
  }

  if (settings.errors().size() != errors_before) return std::nullopt;
  return config;
}

void checkHttpUrl(const core::ConfigNode& settings, const std::string& url, std::string_view key) {
  checkUrlImpl(settings, url, key);
}

void readHeaderSettings(const core::ConfigNode& node,
                        std::initializer_list<std::string_view> also_reserved,
                        std::vector<std::pair<std::string, std::string>>& headers) {
  if (!node.expectMap()) return;
  std::vector<std::string> seen;
  for (const auto& [name, value] : node.entries()) {
    const std::string lower = lowerCase(name);
    const bool reserved =
        isReservedHeader(name) ||
        std::find(also_reserved.begin(), also_reserved.end(), lower) != also_reserved.end();
    if (!isHeaderName(name)) {
      value.error("invalid header name");
    } else if (reserved) {
      value.error("header " + name + " is set by the adapter");
    } else if (std::find(seen.begin(), seen.end(), lower) != seen.end()) {
      value.error("duplicate header " + name);
    } else {
      seen.push_back(lower);
      std::string text = value.asString();
      // Never echo the value: it is often a secret.
      if (!isHeaderValue(text)) {
        value.error("header value contains a control character");
      } else {
        headers.emplace_back(name, std::move(text));
      }
    }
  }
}

}  // namespace egov::adapters::http
