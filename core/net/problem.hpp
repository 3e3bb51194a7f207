// RFC 7807 problem+json for REST callers: the one place ErrorKind becomes an HTTP status.
#pragma once

#include <string>

#include "core/common/result.hpp"

namespace egov::core {

int httpStatus(ErrorKind kind);

// {"type":"urn:egovbus:problem:<kind>","title":...,"status":...,"detail":...,"exchange_id":...}
// plus "position" members when given (malformed JSON).
std::string problemJson(const Error& error, const std::string& exchange_id);

}  // namespace egov::core
