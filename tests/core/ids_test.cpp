#include "core/common/ids.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

bool canonicalForm(const std::string& id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (id[i] == '-')) return false;
    if (!dash && std::string_view("0123456789abcdef").find(id[i]) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::uint64_t millisOf(const std::string& id) {
  return std::stoull(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
}

}  // namespace

TEST_CASE("uuid v4: canonical, version 4, RFC variant, random") {
  const std::string a = egov::core::newUuid();
  const std::string b = egov::core::newUuid();
  CHECK(canonicalForm(a));
  CHECK(a[14] == '4');
  CHECK(std::string_view("89ab").find(a[19]) != std::string_view::npos);
  CHECK(a != b);
  // Many, across refills of the per-thread pool of random bytes (16 ids per 256 bytes): no
  // two alike, and every one still version 4.
  std::set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) {
    const auto id = egov::core::newUuid();
    CHECK_MESSAGE(id[14] == '4', id);
    seen.insert(id);
  }
  CHECK(seen.size() == 10'000);
}

TEST_CASE("uuid v7: version 7, the clock's milliseconds, strictly increasing across threads") {
  using namespace std::chrono;
  const auto before = static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  const std::string first = egov::core::newTimeOrderedUuid();
  CHECK(canonicalForm(first));
  CHECK(first[14] == '7');
  CHECK(std::string_view("89ab").find(first[19]) != std::string_view::npos);
  // The timestamp field is the wall clock (it may run ahead only by ids issued this millisecond).
  CHECK(millisOf(first) >= before);
  CHECK(millisOf(first) <= before + 1000);

  // Four threads, 5,000 ids each (more than the 4,096 a millisecond's counter holds, so the
  // counter overflows into the timestamp): each thread's sequence is strictly increasing, as
  // text too, and no id repeats.
  constexpr int kThreads = 4;
  constexpr int kEach = 5000;
  std::vector<std::vector<std::string>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&made, t] {
      for (int i = 0; i < kEach; ++i) made[t].push_back(egov::core::newTimeOrderedUuid());
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> all;
  for (const auto& ids : made) {
    CHECK(std::is_sorted(ids.begin(), ids.end()));
    CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
    CHECK(ids.front() > first);
    all.insert(ids.begin(), ids.end());
  }
  CHECK(all.size() == std::size_t{kThreads * kEach});
}
