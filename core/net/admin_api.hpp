// The admin API under /admin/v1/ (and /metrics), for operators. Its credential is an admin
// key (`egovbus key create --admin NAME`, "ega_..."), never a client key: a client key is
// refused with 403, no or an unknown key with 401. An admin key may be limited to tenants
// (--tenant): it then sees and acts on those tenants' dead letters only, and cannot reload
// or read process-wide state (403).
//
// Requests are dispatched by method and path pattern through one table (kRoutes in the
// .cpp); adding an operation is one line there and one member function.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/engine/bus.hpp"
#include "core/net/beast.hpp"
#include "core/security/authenticator.hpp"

namespace egov::core {

class AdminApi {
 public:
  explicit AdminApi(Bus& bus) : bus_(bus) {}

  // Runs on an I/O thread; journal work and reloads run elsewhere and are awaited.
  awaitable<HttpResponse> handle(const HttpRequest& request, std::string_view path,
                                 std::string_view query, const PeerCertificate* peer);

  // What one admin operation gets: the request, the path's {parameters}, the operator.
  struct Call {
    const HttpRequest& request;
    std::vector<std::string> params;
    std::string_view query;
    const Principal& admin;
    const Generation& generation;
  };
  using Operation = awaitable<Result<HttpResponse>> (AdminApi::*)(const Call&);

  // The operations, each reached through the dispatch table.
  awaitable<Result<HttpResponse>> generationInfo(const Call& call);
  awaitable<Result<HttpResponse>> reload(const Call& call);
  awaitable<Result<HttpResponse>> metrics(const Call& call);
  awaitable<Result<HttpResponse>> listDeadLetters(const Call& call);
  awaitable<Result<HttpResponse>> showDeadLetter(const Call& call);
  awaitable<Result<HttpResponse>> replayDeadLetter(const Call& call);
  awaitable<Result<HttpResponse>> discardDeadLetter(const Call& call);
  // The operators' views (admin_views.cpp), for the console and scripts.
  awaitable<Result<HttpResponse>> listTenants(const Call& call);
  awaitable<Result<HttpResponse>> showTenant(const Call& call);
  awaitable<Result<HttpResponse>> searchExchanges(const Call& call);
  awaitable<Result<HttpResponse>> showExchange(const Call& call);
  awaitable<Result<HttpResponse>> listBatches(const Call& call);
  awaitable<Result<HttpResponse>> trafficStats(const Call& call);

 private:
  awaitable<Result<HttpResponse>> resolve(const Call& call, const std::string& action);

  Bus& bus_;
};

}  // namespace egov::core
