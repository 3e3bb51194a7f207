#pragma once

#include <string>

namespace egov::core {

// A random (version 4) UUID in canonical lower-case form, from OpenSSL's CSPRNG.
std::string newUuid();

// A time-ordered (version 7, RFC 9562) UUID: 48 bits of Unix milliseconds, a 12-bit counter
// that keeps the ids of one process strictly increasing within a millisecond (method 1 of the
// RFC; when it overflows the timestamp field runs ahead), and 62 random bits. Used for exchange
// ids: the journal's primary-key index then grows at its right edge, so a commit of many new
// exchanges dirties a few index pages instead of one random page per exchange.
std::string newTimeOrderedUuid();

}  // namespace egov::core
