// Result<T>: the data-path return type. Control-plane code (config loading) may throw;
// the message path returns a Result carrying a protocol-neutral ErrorKind instead.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace egov::core {

// One protocol-neutral error vocabulary. Each protocol maps it in one place
// (core/net/problem.cpp for HTTP problem+json).
enum class ErrorKind {
  bad_request,             // malformed input from the caller
  not_found,               // unknown tenant, service or resource
  method_not_allowed,      // the route does not accept this HTTP method
  payload_too_large,       // body over the configured limit
  unsupported_media_type,  // body in a format the bus does not read
  not_acceptable,          // caller asks for a format the bus cannot produce
  validation_failed,       // XSD validation of a message failed
  mapping_failed,          // an XSLT mapping stopped or failed at run time
  deadline_exceeded,       // the route's deadline passed
  backend_unavailable,     // transport failure, 5xx, timeout of a back-end: retryable
  backend_rejected,        // 4xx or client fault from a back-end: permanent
  backend_invalid,         // the back-end answered something unreadable
  unavailable,             // saturated (endpoint cap, open breaker) or draining: retry later
  rate_limited,            // the caller sent more than its configured rate
  unauthorized,            // no credentials, or credentials the bus does not know
  forbidden,               // valid credentials, but the tenant or service is out of scope
  internal,                // a bug or an unexpected library failure
};

std::string_view errorKindName(ErrorKind kind);
// By the wire name ("not-found") or its config spelling ("not_found").
std::optional<ErrorKind> errorKindFromName(std::string_view name);

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;     // one line for humans; never contains secrets
  int backend_status = 0;  // HTTP status from a back-end, when there was one
  int retry_after_s = 0;   // when the caller may retry (unavailable, rate_limited), if known
};

inline Error makeError(ErrorKind kind, std::string message) {
  return Error{kind, std::move(message), 0};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& {
    assert(!ok_);
    return error_;
  }
  Error&& error() && {
    assert(!ok_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace egov::core
