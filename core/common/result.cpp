#include "core/common/result.hpp"

namespace egov::core {

std::string_view errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::bad_request:
      return "bad-request";
    case ErrorKind::not_found:
      return "not-found";
    case ErrorKind::method_not_allowed:
      return "method-not-allowed";
    case ErrorKind::payload_too_large:
      return "payload-too-large";
    case ErrorKind::unsupported_media_type:
      return "unsupported-media-type";
    case ErrorKind::not_acceptable:
      return "not-acceptable";
    case ErrorKind::validation_failed:
      return "validation-failed";
    case ErrorKind::mapping_failed:
      return "mapping-failed";
    case ErrorKind::deadline_exceeded:
      return "deadline-exceeded";
    case ErrorKind::backend_unavailable:
      return "backend-unavailable";
    case ErrorKind::backend_rejected:
      return "backend-rejected";
    case ErrorKind::backend_invalid:
      return "backend-invalid";
    case ErrorKind::unavailable:
      return "unavailable";
    case ErrorKind::rate_limited:
      return "rate-limited";
    case ErrorKind::unauthorized:
      return "unauthorized";
    case ErrorKind::forbidden:
      return "forbidden";
    case ErrorKind::internal:
      return "internal";
  }
  return "internal";
}

std::optional<ErrorKind> errorKindFromName(std::string_view name) {
  for (int k = 0; k <= static_cast<int>(ErrorKind::internal); ++k) {
    const auto kind = static_cast<ErrorKind>(k);
    const auto wire = errorKindName(kind);
    if (wire.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < wire.size() && same; ++i) {
      same = wire[i] == name[i] || (wire[i] == '-' && name[i] == '_');
    }
    if (same) return kind;
  }
  return std::nullopt;
}

}  // namespace egov::core
