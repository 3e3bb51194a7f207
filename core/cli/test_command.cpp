#include "core/cli/test_command.hpp"

#include <cstdio>
#include <exception>

#include "core/testing/case_runner.hpp"

namespace egov::core {

int testCommand(const std::vector<std::string>& paths, const AdapterRegistry& adapters) {
  std::vector<std::string> roots = paths;
  if (roots.empty()) {
    for (const char* folder : {"conf/cases", "mappings"}) {
      std::error_code ec;
      if (std::filesystem::is_directory(folder, ec)) roots.emplace_back(folder);
    }
  }
  std::vector<std::filesystem::path> files;
  ConfigErrors errors;
  for (const auto& root : roots) {
    std::error_code ec;
    if (!std::filesystem::exists(root, ec)) {
      errors.add(root, "no such file or folder");
      continue;
    }
    auto found = testing::findCaseFiles(root);
    if (found.empty()) errors.add(root, "no case files (cases.yaml, or *.yaml in a cases folder)");
    files.insert(files.end(), found.begin(), found.end());
  }
  if (roots.empty()) errors.add(".", "no case files: give a PATH, or run from the repository root");

  // Every file is read before anything runs: a malformed one stops the run (exit 2).
  std::vector<testing::CaseFile> case_files;
  for (const auto& file : files) case_files.push_back(testing::loadCaseFile(file, errors));
  if (!errors.empty()) {
    std::fputs(errors.str().c_str(), stderr);
    return 2;
  }

  int route_passed = 0, route_failed = 0, mapping_passed = 0, mapping_failed = 0;
  testing::StylesheetCache stylesheets;
  for (const auto& case_file : case_files) {
    int passed = 0, failed = 0;
    auto report = [&](const std::string& where, const std::string& name,
                      const testing::CaseOutcome& outcome) {
      if (outcome.passed) {
        ++passed;
        return;
      }
      ++failed;
      std::printf("FAIL %s: %s\n%s", where.c_str(), name.c_str(), outcome.report.c_str());
    };
    for (const auto& route_case : case_file.routes) {
      testing::CaseOutcome outcome;
      try {
        outcome = testing::runRouteCase(route_case, adapters);
      } catch (const std::exception& e) {  // a bug; the other cases still run
        outcome.report = std::string("    exception: ") + e.what() + "\n";
      }
      report(route_case.where, route_case.service + ": " + route_case.name, outcome);
    }
    route_passed += passed;
    route_failed += failed;
    const int routes_passed = passed, routes_failed = failed;
    passed = failed = 0;
    for (const auto& mapping_case : case_file.mappings) {
      report(mapping_case.where, mapping_case.name,
             testing::runMappingCase(mapping_case, stylesheets));
    }
    mapping_passed += passed;
    mapping_failed += failed;
    std::printf("%s: %d passed, %d failed\n", case_file.file.string().c_str(),
                routes_passed + passed, routes_failed + failed);
  }
  std::printf("route cases: %d passed, %d failed; mapping cases: %d passed, %d failed\n",
              route_passed, route_failed, mapping_passed, mapping_failed);
  return route_failed + mapping_failed > 0 ? 1 : 0;
}

}  // namespace egov::core
