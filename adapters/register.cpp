#include "adapters/register.hpp"

#include <curl/curl.h>
#include <sqlite3.h>

#include "adapters/anpr/anpr_factory.hpp"
#include "adapters/csv/csv_batch_source.hpp"
#include "adapters/csv/csv_factory.hpp"
#include "adapters/db/db_factory.hpp"
#include "adapters/db/db_poll_source.hpp"
#include "adapters/http/http_factory.hpp"
#include "adapters/memory/memory_endpoint.hpp"
#include "adapters/pagopa/pagopa_factory.hpp"
#include "adapters/pagopa/pagopa_functions.hpp"
#include "adapters/soap/soap_factory.hpp"
#include "adapters/soap/soap_inbound.hpp"
#include "adapters/soap/xmlsec_library.hpp"
#include "adapters/spid/spid_factory.hpp"
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
  registry.setSpidVerifierFactory(spid::makeSpidVerifier);  // bus.yaml's `spid` section
  registry.addInbound("pagopa", pagopa::makePagopaInbound);
  registry.addInbound("soap", soap::makeSoapInbound);
  registry.addSource("csv", csv::makeCsvSource);
  registry.addSource("db", db::makeDbPollSource);
}

void initLibraries() {
  // SQLite keeps no memory statistics (nothing reads them): with them on, every allocation of
  // every connection takes one process-wide mutex. Before any connection is opened.
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  core::initXmlLibraries();
  core::registerMappingExtensions();
  pagopa::registerPagopaFunctions();  // urn:egovbus:pagopa in mappings
  curl_global_init(CURL_GLOBAL_DEFAULT);
  soap::initXmlSecurity();  // xmlSecInit, xmlSecCryptoAppInit, xmlSecCryptoInit
}

void shutdownLibraries() {
  soap::shutdownXmlSecurity();
  curl_global_cleanup();
}

}  // namespace egov::adapters
