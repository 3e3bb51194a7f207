#include "adapters/spid/spid_command.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "adapters/spid/saml_verifier.hpp"
#include "adapters/spid/saml_xml.hpp"
#include "core/common/xs_datetime.hpp"

namespace egov::adapters::spid {
namespace {

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "egovbus spid verify: %s\n", message.c_str());
  return code;
}

std::string identityJson(const core::SpidLogin& login) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("fiscal_code");
  writer.String(login.identity.citizen_fiscal_code);
  writer.Key("given_name");
  writer.String(login.identity.given_name);
  writer.Key("family_name");
  writer.String(login.identity.family_name);
  writer.Key("spid_level");
  writer.Int(login.identity.spid_level);
  writer.Key("issuer");
  writer.String(login.issuer);
  writer.Key("assertion_id");
  writer.String(login.assertion_id);
  writer.Key("usable_until");
  writer.String(formatInstant(login.usable_until));
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

int verifyCommand(const VerifyOptions& options) {
  if (options.idp_metadata.empty()) return fail(2, "--idp-metadata FILE is required");
  if (options.sp_entity_id.empty()) return fail(2, "--sp-entity-id ID is required");
  if (options.acs_url.empty()) return fail(2, "--acs URL is required");
  auto now = std::chrono::system_clock::now();
  if (!options.now.empty()) {
    auto instant = core::parseXsDateTime(options.now);
    if (!instant) return fail(2, "--now expects an RFC 3339 instant, e.g. 2026-01-15T10:00:00Z");
    now = *instant;
  }
  std::vector<std::filesystem::path> files(options.idp_metadata.begin(),
                                           options.idp_metadata.end());
  auto providers = IdentityProviders::load(files);
  if (!providers) return fail(2, providers.error().message);

  std::ostringstream text;
  if (options.response == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(options.response, std::ios::binary);
    if (!in) return fail(2, "cannot read file " + options.response);
    text << in.rdbuf();
  }
  SamlVerifier verifier({options.sp_entity_id, options.acs_url, std::chrono::seconds(30)},
                        std::move(providers).value());
  auto login = verifier.verify(text.str(), options.request_id, now);
  if (!login) return fail(1, "refused: " + login.error().message);
  std::printf("%s\n", identityJson(*login).c_str());
  return 0;
}

}  // namespace egov::adapters::spid
