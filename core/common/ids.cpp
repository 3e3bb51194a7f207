#include "core/common/ids.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <random>

namespace egov::core {

namespace {

using Bytes = std::array<std::uint8_t, 16>;

void fillRandom(std::uint8_t* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    // The CSPRNG failing is near impossible; ids must still be unique, not secret.
    thread_local std::mt19937_64 fallback{std::random_device{}()};
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(fallback());
  }
}

// The CSPRNG's bytes, drawn 256 at a time per thread: a RAND_bytes call costs about 5,000
// instructions whatever it returns (callgrind of B2: 7,700 per exchange id). Bytes handed out
// are wiped from the pool.
void randomBytes(std::uint8_t* out, std::size_t n) {
  constexpr std::size_t kPool = 256;
  thread_local std::array<std::uint8_t, kPool> pool;
  thread_local std::size_t used = kPool;
  if (n > kPool) return fillRandom(out, n);
  if (kPool - used < n) {
    fillRandom(pool.data(), kPool);
    used = 0;
  }
  std::memcpy(out, pool.data() + used, n);
  std::memset(pool.data() + used, 0, n);
  used += n;
}

std::string canonical(const Bytes& bytes) {
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

// The last (milliseconds << 12 | counter) handed out by this process.
std::atomic<std::uint64_t> last_v7{0};

}  // namespace

std::string newUuid() {
  Bytes bytes{};
  randomBytes(bytes.data(), bytes.size());
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);
  return canonical(bytes);
}

std::string newTimeOrderedUuid() {
  const auto now_ms =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  // A new millisecond starts the counter at 0; within one (or with the clock stepped back)
  // the value only grows.
  std::uint64_t stamp = last_v7.load(std::memory_order_relaxed);
  std::uint64_t next;
  do {
    next = std::max<std::uint64_t>((now_ms & 0xffffffffffffULL) << 12, stamp + 1);
  } while (!last_v7.compare_exchange_weak(stamp, next, std::memory_order_relaxed));
  Bytes bytes{};
  randomBytes(bytes.data() + 8, 8);
  const std::uint64_t ms = (next >> 12) & 0xffffffffffffULL;
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<std::uint8_t>(ms >> (8 * (5 - i)));
  bytes[6] = static_cast<std::uint8_t>(0x70 | ((next >> 8) & 0x0f));
  bytes[7] = static_cast<std::uint8_t>(next & 0xff);
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);
  return canonical(bytes);
}

}  // namespace egov::core
