// The test case files `egovbus test` reads (README: "Testing routes and mappings").
//
//   conf/cases/<profile>.yaml   route cases: a service of a profile run by the real route
//                               compiler and runner, every endpoint mocked
//   mappings/<folder>/cases.yaml mapping cases: one stylesheet on one input
//
// A file is a map with `cases:` (and defaults for them: config, profile, tenant); a case
// with `stylesheet` is a mapping case, one with `service` a route case. Errors are the
// config loader's: file:line:col: key.path: message.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config/config_node.hpp"
#include "core/engine/exchange.hpp"
#include "core/mapping/xslt_mapping.hpp"
#include "core/testing/mock_endpoint.hpp"

namespace egov::core::testing {

// A tenant made up for a case: the profile's routes with these params (no tenant file).
struct SyntheticTenant {
  std::string istat = "000000";
  std::string slug = "test";
  std::string name = "Test";
  std::string fiscal_code;  // empty: unknown
  MappingParams params;
};

// What comes back: a reply (status, JSON data or XML) or an error (kind, status, detail).
struct Expectation {
  std::optional<int> status;
  std::optional<std::string> json;  // JSON text, compared as data
  std::optional<std::string> xml;   // compared canonical
  std::optional<ErrorKind> error;
  std::string detail;  // a substring of the error's detail
  std::string where;
};

// What the route must have sent to an endpoint on one call (a body checked as JSON data or
// canonical XML, or not checked when neither is given).
struct ExpectedRequest {
  std::optional<std::string> json;
  std::optional<std::string> xml;
  std::string where;
};

struct RouteCase {
  std::string name;
  std::string where;             // "file:line" of the case
  std::filesystem::path config;  // bus.yaml (absolute)
  std::string profile;           // the profile under test (checked against the tenant's)
  std::string tenant;            // a tenant of the config (slug or ISTAT); or:
  std::optional<SyntheticTenant> synthetic;
  std::string service;
  std::string method;  // default POST with a body, GET without
  std::string exchange_id = "00000000-0000-4000-8000-000000000001";
  std::vector<std::pair<std::string, std::string>> query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::optional<std::string> body_json;
  std::optional<std::string> body_xml;
  Identity identity;
  std::map<std::string, std::vector<MockReply>> mocks;  // by endpoint key, in call order
  std::map<std::string, std::vector<ExpectedRequest>> requests;
  Expectation expect;
};

struct MappingCase {
  std::string name;
  std::string where;
  std::filesystem::path stylesheet;  // absolute
  MappingParams params;
  std::string input;                    // JSON or XML text
  std::optional<std::string> expected;  // JSON or XML text
  std::optional<std::string> error;     // a substring of the mapping's error
  std::filesystem::path config;         // optional: lookup tables come from its `tables`
};

struct CaseFile {
  std::filesystem::path file;
  std::vector<RouteCase> routes;
  std::vector<MappingCase> mappings;
};

// Reads one case file; every problem goes to `errors` (then the result is incomplete).
CaseFile loadCaseFile(const std::filesystem::path& file, ConfigErrors& errors);

// The case files under `path` (a file is taken as is; a folder is searched recursively for
// files named cases.yaml and for *.yaml in folders named cases), sorted.
std::vector<std::filesystem::path> findCaseFiles(const std::filesystem::path& path);

}  // namespace egov::core::testing
