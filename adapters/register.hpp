// The one explicit list of adapters compiled into the bus, and library-wide init.
#pragma once

#include "core/engine/endpoint.hpp"

namespace egov::adapters {

// Registers every built-in adapter factory by name ("http", "memory", ...).
void registerBuiltinAdapters(core::AdapterRegistry& registry);

// Library-wide initialisation (libxml2, libxslt, EXSLT, libcurl, OpenSSL); once, from main.
void initLibraries();
void shutdownLibraries();

}  // namespace egov::adapters
