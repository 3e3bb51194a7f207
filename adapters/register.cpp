#include "adapters/register.hpp"

#include <curl/curl.h>

#include "adapters/http/http_factory.hpp"
#include "adapters/memory/memory_endpoint.hpp"
#include "core/mapping/xslt_mapping.hpp"
#include "core/xml/xml.hpp"

namespace egov::adapters {

void registerBuiltinAdapters(core::AdapterRegistry& registry) {
  registry.add("http", http::makeHttpEndpoint);
  registry.add("memory", memory::makeMemoryEndpoint);
}

void initLibraries() {
  core::initXmlLibraries();
  core::registerMappingExtensions();
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

void shutdownLibraries() {
  curl_global_cleanup();
}

}  // namespace egov::adapters
