// The libFuzzer entry point of one target, chosen at build time (EGOV_FUZZ_TARGET).
#include "tests/fuzz/fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return egov::fuzz::EGOV_FUZZ_TARGET(data, size);
}
