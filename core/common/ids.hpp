#pragma once

#include <string>

namespace egov::core {

// A random (version 4) UUID in canonical lower-case form, from OpenSSL's CSPRNG.
std::string newUuid();

}  // namespace egov::core
