#include "core/net/console.hpp"

#include "core/net/problem.hpp"

namespace egov::core {

bool isConsolePath(std::string_view path) {
  return path == kConsolePath ||
         (path.starts_with(kConsolePath) && path.substr(kConsolePath.size()).starts_with("/"));
}

HttpResponse consoleResponse(const HttpRequest& request, std::string_view path) {
  auto rest = path.substr(kConsolePath.size());
  if (rest.starts_with("/")) rest.remove_prefix(1);
  if (rest.empty()) rest = "index.html";
  const ConsoleAsset* found = nullptr;
  for (const auto& asset : consoleAssets()) {
    if (asset.name == rest) found = &asset;
  }
  HttpResponse response;
  response.version(request.version());
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    response.result(http::status::method_not_allowed);
    response.set(http::field::allow, "GET, HEAD");
    response.set(http::field::content_type, "application/problem+json");
    response.body() =
        problemJson(makeError(ErrorKind::method_not_allowed, "the console is read with GET"), "");
  } else if (!found) {
    response.result(http::status::not_found);
    response.set(http::field::content_type, "application/problem+json");
    response.body() = problemJson(makeError(ErrorKind::not_found, "no such console file"), "");
  } else {
    response.result(http::status::ok);
    response.set(http::field::content_type, std::string(found->content_type));
    response.body() = std::string(found->bytes);
  }
  response.set("Content-Security-Policy", kConsoleCsp);
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  response.set("X-Frame-Options", "DENY");
  response.set(http::field::cache_control, "no-cache");
  response.prepare_payload();
  if (request.method() == http::verb::head) {  // the headers of the GET, without the body
    const auto size = response.body().size();
    response.body().clear();
    response.content_length(size);
  }
  return response;
}

}  // namespace egov::core
