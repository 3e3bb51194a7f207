// A request to the unified API answered by an ApiHandler exactly as the HTTP listener would
// hand it over: the caller's Authorization, a JSON body when given, the SPID session header
// when given.
#pragma once

#include <string>
#include <utility>

#include "core/net/api.hpp"
#include "tests/support/run_coroutine.hpp"

namespace egov::test {

inline HttpResponse apiCall(core::ApiHandler& api, const std::string& authorization,
                            http::verb verb, const std::string& target,
                            const std::string& spid_session = {}, const std::string& body = {}) {
  HttpRequest request{verb, target, 11};
  if (!body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = body;
  }
  if (!spid_session.empty()) request.set(core::kSpidSessionHeader, spid_session);
  request.set(http::field::authorization, authorization);
  request.prepare_payload();
  return runCoroutine(api.handle(std::move(request)));
}

}  // namespace egov::test
