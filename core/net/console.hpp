// The web console (console/ in the source tree), compiled into the binary so that the bus
// serves it with nothing installed beside it and nothing loaded from elsewhere: HTML, CSS and
// vanilla JavaScript that read the admin API with the admin key the operator types in.
//
// GET /console (or /console/) is the page; /console/{file} its assets. Every answer carries
// a Content-Security-Policy that allows only this origin's scripts, styles and API calls.
// The page itself needs no key: it holds no data.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "core/net/beast.hpp"

namespace egov::core {

struct ConsoleAsset {
  std::string_view name;  // "app.js"
  std::string_view content_type;
  std::string_view bytes;
};

// The embedded files (console_assets.cpp, generated at build time).
std::span<const ConsoleAsset> consoleAssets();

inline constexpr std::string_view kConsolePath = "/console";
inline constexpr const char* kConsoleCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// True for /console and anything under /console/.
bool isConsolePath(std::string_view path);
// The answer to a request for a console path: the file, 404, or 405 for anything but GET
// and HEAD.
HttpResponse consoleResponse(const HttpRequest& request, std::string_view path);

}  // namespace egov::core
