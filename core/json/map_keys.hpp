// The keys of the maps open while one JSON representation is converted (either direction),
// for refusing a key a map already has. Only maps are opened here; arrays have no keys.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace egov::core::json_detail {

class MapKeys {
 public:
  void open() { maps_.push_back(Map{keys_.size(), {}}); }
  void close() {
    keys_.resize(maps_.back().first);
    maps_.pop_back();
  }

  // The innermost open map already has `key`.
  bool contains(std::string_view key) const {
    const Map& map = maps_.back();
    if (!map.set.empty()) return map.set.contains(key);
    return std::find(keys_.begin() + static_cast<std::ptrdiff_t>(map.first), keys_.end(), key) !=
           keys_.end();
  }

  // Adds `key` to the innermost open map. It is a view: its text must outlive the conversion.
  // A map's keys are searched one by one up to kLinear of them, then through a set, so that
  // checking a large map stays linear in its size.
  void add(std::string_view key) {
    constexpr std::size_t kLinear = 16;
    Map& map = maps_.back();
    keys_.push_back(key);
    if (!map.set.empty()) {
      map.set.insert(key);
    } else if (keys_.size() - map.first > kLinear) {
      map.set.insert(keys_.begin() + static_cast<std::ptrdiff_t>(map.first), keys_.end());
    }
  }

 private:
  struct Map {
    std::size_t first;  // its keys are keys_[first..]
    std::unordered_set<std::string_view> set;
  };
  std::vector<std::string_view> keys_;  // the keys of the open maps, innermost last
  std::vector<Map> maps_;
};

}  // namespace egov::core::json_detail
