// Fuzz targets: one function per untrusted-input surface. Each takes arbitrary bytes, must
// never crash, hang or grow memory without bound, and checks the invariants its surface
// promises (a failed check aborts, which libFuzzer reports as a crash).
//
// The same functions run twice: as libFuzzer targets (`make fuzz`, clang, tests/fuzz/*.cpp
// entry point) and, under g++ in `make test`, over every file of tests/fuzz/corpus/<target>/
// and tests/fuzz/regressions/<target>/ (tests/core/fuzz_replay_test.cpp), so a crash once
// found stays fixed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace egov::fuzz {

using Target = int (*)(const std::uint8_t* data, std::size_t size);

struct NamedTarget {
  std::string_view name;  // folder under tests/fuzz/corpus and tests/fuzz/regressions
  Target run;
};

int fuzzJson(const std::uint8_t* data, std::size_t size);       // JSON → XML → JSON
int fuzzXmlXsd(const std::uint8_t* data, std::size_t size);     // XML parse + XSD validation
int fuzzSoapReply(const std::uint8_t* data, std::size_t size);  // SOAP envelope handling
int fuzzCsv(const std::uint8_t* data, std::size_t size);        // CSV reader
int fuzzConfig(const std::uint8_t* data, std::size_t size);     // config loader (tenant file)
int fuzzHttp(const std::uint8_t* data, std::size_t size);       // raw HTTP request → API

const std::vector<NamedTarget>& targets();

}  // namespace egov::fuzz
