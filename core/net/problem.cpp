#include "core/net/problem.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/log/log.hpp"

namespace egov::core {

int httpStatus(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::bad_request:
      return 400;
    case ErrorKind::not_found:
      return 404;
    case ErrorKind::method_not_allowed:
      return 405;
    case ErrorKind::not_acceptable:
      return 406;
    case ErrorKind::payload_too_large:
      return 413;
    case ErrorKind::unsupported_media_type:
      return 415;
    case ErrorKind::validation_failed:
      return 422;
    case ErrorKind::mapping_failed:
      return 500;
    case ErrorKind::internal:
      return 500;
    case ErrorKind::backend_unavailable:
      return 502;
    case ErrorKind::backend_rejected:
      return 502;
    case ErrorKind::backend_invalid:
      return 502;
    case ErrorKind::unavailable:
      return 503;
    case ErrorKind::rate_limited:
      return 429;
    case ErrorKind::unauthorized:
      return 401;
    case ErrorKind::forbidden:
      return 403;
    case ErrorKind::deadline_exceeded:
      return 504;
  }
  return 500;
}

namespace {

const char* title(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::bad_request:
      return "Bad request";
    case ErrorKind::not_found:
      return "Not found";
    case ErrorKind::method_not_allowed:
      return "Method not allowed";
    case ErrorKind::not_acceptable:
      return "Not acceptable";
    case ErrorKind::payload_too_large:
      return "Payload too large";
    case ErrorKind::unsupported_media_type:
      return "Unsupported media type";
    case ErrorKind::validation_failed:
      return "Message does not match its schema";
    case ErrorKind::mapping_failed:
      return "Mapping failed";
    case ErrorKind::internal:
      return "Internal error";
    case ErrorKind::backend_unavailable:
      return "Back-end unavailable";
    case ErrorKind::backend_rejected:
      return "Back-end rejected the request";
    case ErrorKind::backend_invalid:
      return "Back-end answered an invalid message";
    case ErrorKind::unavailable:
      return "Service unavailable";
    case ErrorKind::rate_limited:
      return "Too many requests";
    case ErrorKind::unauthorized:
      return "Unauthorized";
    case ErrorKind::forbidden:
      return "Forbidden";
    case ErrorKind::deadline_exceeded:
      return "Deadline exceeded";
  }
  return "Internal error";
}

}  // namespace

std::string problemJson(const Error& error, const std::string& exchange_id) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("type");
  writer.String("urn:egovbus:problem:" + std::string(errorKindName(error.kind)));
  writer.Key("title");
  writer.String(title(error.kind));
  writer.Key("status");
  writer.Int(httpStatus(error.kind));
  // Details name stylesheets and endpoints, which helps integrators; internal errors say
  // nothing more than their kind to the caller (the log has the rest).
  writer.Key("detail");
  writer.String(error.kind == ErrorKind::internal ? std::string("see the bus log for this exchange")
                                                  : maskFiscalCodes(error.message));
  if (!exchange_id.empty()) {
    writer.Key("exchange_id");
    writer.String(exchange_id);
  }
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace egov::core
