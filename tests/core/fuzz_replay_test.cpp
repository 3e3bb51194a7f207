// Every seed of the fuzz corpus and every input a fuzzer once crashed on runs through its
// target in `make test`, so what `make fuzz` found stays fixed (tests/fuzz/fuzz_targets.hpp).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/fuzz/fuzz_targets.hpp"

namespace fs = std::filesystem;

TEST_CASE("fuzz: the corpus seeds and the regression inputs run clean through every target") {
  const fs::path root = fs::path(EGOV_SOURCE_DIR) / "tests/fuzz";
  std::size_t inputs = 0;
  for (const auto& target : egov::fuzz::targets()) {
    std::size_t seeds = 0;
    for (const char* kind : {"corpus", "regressions"}) {
      const auto dir = root / kind / std::string(target.name);
      if (!fs::is_directory(dir)) continue;
      for (const auto& entry : fs::directory_iterator(dir)) {
        if (!entry.is_regular_file() || entry.path().filename().string().starts_with('.')) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        CAPTURE(entry.path().string());
        // A broken invariant aborts the process, which fails this test run.
        CHECK(target.run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()) == 0);
        ++seeds;
      }
    }
    CAPTURE(target.name);
    CHECK(seeds > 0);  // every target has a seed corpus
    inputs += seeds;
  }
  MESSAGE("fuzz inputs replayed: " << inputs);
}
