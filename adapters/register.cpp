#include "adapters/register.hpp"

#include <curl/curl.h>

#include "adapters/anpr/anpr_factory.hpp"
#include "adapters/csv/csv_factory.hpp"
#include "adapters/db/db_factory.hpp"
#include "adapters/http/http_factory.hpp"
#include "adapters/memory/memory_endpoint.hpp"
#include "adapters/soap/soap_factory.hpp"
#include "adapters/soap/xmlsec_library.hpp"
#include "core/mapping/xslt_mapping.hpp"
#include "core/xml/xml.hpp"

namespace egov::adapters {

void registerBuiltinAdapters(core::AdapterRegistry& registry) {
  registry.add("anpr", anpr::makeAnprEndpoint);
  registry.add("csv", csv::makeCsvEndpoint);
  registry.add("db", db::makeDbEndpoint);
  registry.add("http", http::makeHttpEndpoint);
  registry.add("memory", memory::makeMemoryEndpoint);
  registry.add("soap", soap::makeSoapEndpoint);
}

void initLibraries() {
  core::initXmlLibraries();
  core::registerMappingExtensions();
  curl_global_init(CURL_GLOBAL_DEFAULT);
  soap::initXmlSecurity();  // xmlSecInit, xmlSecCryptoAppInit, xmlSecCryptoInit
}

void shutdownLibraries() {
  soap::shutdownXmlSecurity();
  curl_global_cleanup();
}

}  // namespace egov::adapters
