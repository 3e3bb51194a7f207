// The `anpr` adapter's endpoint: one tenant's PDND client calling ANPR e-services with ModI
// security (PDND voucher, AUDIT_REST_02, INTEGRITY_REST_02), through the http adapter's curl
// multi loop.
//
// The body a route hands to `call` is a RichiestaE002 in the JSON representation; its
// datiRichiesta.casoUso ("C020") picks the configured e-service. The JSON text sent is hashed
// into Digest and signed into Agid-JWT-Signature; the TrackingEvidence carries who asked
// (identity), from where (channel) and how (SPID level); the voucher is bound to it.
#pragma once

#include <memory>
#include <string>

#include "adapters/anpr/anpr_config.hpp"
#include "adapters/anpr/anpr_shared.hpp"
#include "adapters/http/curl_multi_loop.hpp"
#include "core/engine/endpoint.hpp"

namespace egov::adapters::anpr {

inline constexpr const char* kOperationPath = "/anpr-service-e002";

// The audit claims of an exchange under `config`: userID is the citizen's fiscal code (from
// SPID), else the API client, else "anonymous", pseudonymised when configured; userLocation
// is the configured channel, else the API client, else "egovbus"; LoA is "SpidL<n>" for a
// known SPID level, else audit.default_loa.
core::Result<AuditClaims> auditClaims(const AuditConfig& config, const core::Identity& identity);

// The e-service a RichiestaE002 body asks for (datiRichiesta.casoUso). mapping_failed when the
// body is no RichiestaE002 or names an e-service the endpoint has no purpose for.
core::Result<const EserviceConfig*> chooseEservice(const AnprConfig& config, const xmlDoc& body);

class AnprEndpoint final : public core::Endpoint {
 public:
  AnprEndpoint(std::string name, AnprConfig config, std::shared_ptr<http::CurlMultiLoop> loop,
               std::shared_ptr<AnprShared> shared, net::any_io_executor workers);

  // Runs on the caller's executor; signing runs on the worker pool. Never retries: ANPR's
  // 429 starts a cool-down of that e-service (for this tenant's client), PDND's 429 one of
  // the client's voucher requests; meanwhile calls answer rate_limited without reaching them.
  awaitable<core::Result<core::XmlDocPtr>> call(const core::CallRequest& request) override;

  const AnprConfig& config() const { return config_; }

 private:
  struct Prepared;
  core::Result<Prepared> prepare(const EserviceConfig& eservice, const AuditClaims& audit,
                                 const std::string& body) const;
  awaitable<core::Result<Voucher>> fetchVoucher(const EserviceConfig& eservice,
                                                const Evidence& evidence,
                                                core::Clock::time_point deadline) const;
  std::string tenant() const;

  const AnprConfig config_;
  const std::shared_ptr<http::CurlMultiLoop> loop_;
  const std::shared_ptr<AnprShared> shared_;
  const net::any_io_executor workers_;
};

}  // namespace egov::adapters::anpr
