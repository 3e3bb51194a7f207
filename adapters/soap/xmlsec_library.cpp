#include "adapters/soap/xmlsec_library.hpp"

#include <stdexcept>

#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmlsec.h>

namespace egov::adapters::soap {
namespace {

thread_local std::string last_error;

// Called by xmlsec from inside its C code: nothing may escape. Replaces the default callback,
// which would print every failed verification of a back-end's reply on stderr.
void recordError(const char* /*file*/, int /*line*/, const char* func, const char* /*object*/,
                 const char* subject, int reason, const char* msg) noexcept {
  try {
    std::string text = func ? func : "xmlsec";
    text += ": ";
    const char* reason_text = nullptr;
    for (xmlSecSize i = 0; i < XMLSEC_ERRORS_MAX_NUMBER; ++i) {
      if (xmlSecErrorsGetCode(i) == reason) {
        reason_text = xmlSecErrorsGetMsg(i);
        break;
      }
      if (!xmlSecErrorsGetMsg(i)) break;
    }
    text += reason_text ? reason_text : "error " + std::to_string(reason);
    if (subject && *subject) text += std::string(" ") + subject;
    if (msg && *msg) text += std::string(" (") + msg + ")";
    // The innermost failure is reported first and explains the most; callers unwind after it.
    if (last_error.empty()) last_error = std::move(text);
  } catch (...) {
    // Out of memory while describing an error: the caller still sees the failure itself.
  }
}

}  // namespace

void initXmlSecurity() {
  if (xmlSecInit() < 0) throw std::runtime_error("xmlsec: initialisation failed");
  if (xmlSecCheckVersion() != 1) {
    throw std::runtime_error("xmlsec: the loaded library is not compatible with its headers");
  }
  if (xmlSecCryptoAppInit(nullptr) < 0) {
    throw std::runtime_error("xmlsec: crypto application initialisation failed");
  }
  if (xmlSecCryptoInit() < 0) throw std::runtime_error("xmlsec: crypto initialisation failed");
  // After the crypto initialisation, which installs the default (stderr) callback again.
  xmlSecErrorsSetCallback(recordError);
}

void shutdownXmlSecurity() {
  xmlSecCryptoShutdown();
  xmlSecCryptoAppShutdown();
  xmlSecShutdown();
}

std::string lastXmlSecurityError() {
  return last_error;
}

void clearXmlSecurityError() {
  last_error.clear();
}

}  // namespace egov::adapters::soap
