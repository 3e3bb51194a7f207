// Typed settings of an `http` endpoint and their parser.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/http/curl_multi_loop.hpp"
#include "core/config/config_node.hpp"

namespace egov::adapters::http {

// How the canonical body is sent and which representation is asked for in Accept.
enum class HttpFormat { json, xml };

struct HttpConfig {
  std::string url;  // http:// or https://, without fragment
  std::string method = "POST";
  HttpFormat format = HttpFormat::json;
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds connect_timeout{3'000};
  std::vector<std::pair<std::string, std::string>> headers;  // values may be secrets
  HttpTlsOptions tls;
  std::uint64_t max_response_bytes = 10 * 1024 * 1024;
};

// Reads an endpoint's settings (the map that also holds `type: http`). Every problem is
// reported into settings.errors() with its line; returns nullopt when there was any.
std::optional<HttpConfig> parseHttpConfig(const core::ConfigNode& settings);

// Reports at `key` what curl's own parser refuses, a scheme other than http/https, or a
// #fragment (never sent, so a path appended after it would be lost). Shared with soap.
void checkHttpUrl(const core::ConfigNode& settings, const std::string& url,
                  std::string_view key = "url");

// Reads a `headers` map: valid names, no duplicates (any case), none the adapter sets itself
// (isReservedHeader or `also_reserved`, lower case), values without control characters and
// never echoed in errors (they are often secrets). Shared with soap.
void readHeaderSettings(const core::ConfigNode& node,
                        std::initializer_list<std::string_view> also_reserved,
                        std::vector<std::pair<std::string, std::string>>& headers);

// A path setting relative to the folder of the YAML file that holds `node` (absolute paths
// stay as they are), so a tenant file and its certificates can move together. Shared by
// every adapter that names files.
std::string resolveConfigPath(const core::ConfigNode& node, const std::string& path);

// Reads a `tls` map (verify, ca_file, client_cert, client_key): files resolved with
// resolveConfigPath and checked readable. Shared with soap and anpr.
void readTlsSettings(const core::ConfigNode& tls, HttpTlsOptions& options);

// Shared with the request envelope, which may override these per call.
bool isHttpMethod(std::string_view method);
bool isHeaderName(std::string_view name);
bool isHeaderValue(std::string_view value);
// Content-Length, Transfer-Encoding, Host, Expect (any case): framing is curl's business.
bool isReservedHeader(std::string_view name);

}  // namespace egov::adapters::http
