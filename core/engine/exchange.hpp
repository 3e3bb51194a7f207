// One message in flight through the bus.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/xml/xml.hpp"

namespace egov::core {

using Clock = std::chrono::steady_clock;

// Who is asking: the authenticated client and, when known, the citizen.
struct Identity {
  std::string client;               // API client name
  std::string citizen_fiscal_code;  // from SPID, empty when anonymous
  int spid_level = 0;               // SPID level of that authentication (1-3); 0 = unknown
  std::string given_name;           // from SPID, when the IdP released it
  std::string family_name;          // from SPID, when the IdP released it
};

struct Exchange {
  std::string id;        // a time-ordered UUID (v7), returned to the caller and logged
  std::string trace_id;  // from traceparent / X-Request-Id when given, else the id
  std::string tenant_istat;
  std::string tenant_slug;
  std::string service;  // canonical service name, e.g. "tributi.posizioni"
  std::string method;   // HTTP method of the inbound call, "" for non-HTTP sources
  std::map<std::string, std::string> headers;  // selected inbound headers, lower-case names
  std::vector<std::pair<std::string, std::string>> query;
  XmlDocPtr body;  // canonical XML body; never null once routed
  Identity identity;
  Clock::time_point deadline;
  int status = 200;  // reply status chosen by the route
  // Key of the endpoint whose call (or admission to it) failed last; its `retry` settings
  // decide how a failed delivery is retried. Empty when no call failed.
  std::string failed_endpoint;
};

}  // namespace egov::core
