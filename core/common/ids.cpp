#include "core/common/ids.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <random>

namespace egov::core {

std::string newUuid() {
  std::array<std::uint8_t, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // The CSPRNG failing is near impossible; ids must still be unique, not secret.
    thread_local std::mt19937_64 fallback{std::random_device{}()};
    for (auto& b : bytes) b = static_cast<std::uint8_t>(fallback());
  }
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0x0f];
  }
  return out;
}

}  // namespace egov::core
