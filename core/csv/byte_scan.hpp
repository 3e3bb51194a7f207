// Eight bytes at a time, as glibc's string functions look at them: for the loops that see
// every byte of a CSV file (its count, its UTF-8 check, a row's check for control
// characters, an outcome field's check for quoting). Each test is exact for "some byte
// of the word": a caller that needs the position looks at the word's bytes one by one.
#pragma once

#include <cstdint>
#include <cstring>

namespace egov::core::byte_scan {

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

inline std::uint64_t load(const char* at) {
  std::uint64_t word;
  std::memcpy(&word, at, sizeof word);
  return word;
}

// Some byte of `word` is below `n` (n at most 128).
constexpr bool hasBelow(std::uint64_t word, unsigned char n) {
  return ((word - kOnes * n) & ~word & kHighs) != 0;
}

// Some byte of `word` is `c`.
constexpr bool has(std::uint64_t word, char c) {
  return hasBelow(word ^ (kOnes * static_cast<unsigned char>(c)), 1);
}

// Some byte of `word` is 0x80 or above (not ASCII).
constexpr bool hasHigh(std::uint64_t word) {
  return (word & kHighs) != 0;
}

}  // namespace egov::core::byte_scan
