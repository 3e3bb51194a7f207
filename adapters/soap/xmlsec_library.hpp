// Process-wide set-up of xmlsec1 (with its OpenSSL back-end) for WS-Security signatures, and the
// last xmlsec error of the calling thread, so failures can say why.
#pragma once

#include <string>

namespace egov::adapters::soap {

// Once, from adapters::initLibraries(), after libxml2 is initialised. Throws
// std::runtime_error when the loaded xmlsec1 is ABI-incompatible or its crypto cannot start:
// the bus must not serve signed endpoints half-working.
void initXmlSecurity();
// Once, from adapters::shutdownLibraries(), after every endpoint is gone.
void shutdownXmlSecurity();

// The last error xmlsec reported on this thread since clearXmlSecurityError(), as
// "function: reason (detail)", or "" when none. xmlsec's error callback is process-wide and
// synchronous, so a thread-local slot attributes each message to the operation that caused it.
std::string lastXmlSecurityError();
void clearXmlSecurityError();

}  // namespace egov::adapters::soap
