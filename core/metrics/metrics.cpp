#include "core/metrics/metrics.hpp"

#include <charconv>
#include <iterator>

namespace egov::core {
namespace {

std::string escapeLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string formatLabels(const Labels& labels, const char* extra_key = nullptr,
                         const std::string& extra_value = {}) {
  if (labels.empty() && !extra_key) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k + "=\"" + escapeLabel(v) + "\"";
  }
  if (extra_key) {
    if (!first) out += ',';
    out += std::string(extra_key) + "=\"" + extra_value + "\"";
  }
  return out + "}";
}

// Shortest text that reads back as the same double: "0.005", not "0.0050000000000000001".
std::string number(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

}  // namespace

Metrics::Metrics() = default;

void Metrics::declareCounter(std::string name, std::string help) {
  std::lock_guard lock(mutex_);
  families_.try_emplace(std::move(name), Family{Type::counter, std::move(help), {}});
}

void Metrics::declareGauge(std::string name, std::string help) {
  std::lock_guard lock(mutex_);
  families_.try_emplace(std::move(name), Family{Type::gauge, std::move(help), {}});
}

void Metrics::declareHistogram(std::string name, std::string help) {
  std::lock_guard lock(mutex_);
  families_.try_emplace(std::move(name), Family{Type::histogram, std::move(help), {}});
}

void Metrics::add(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) return;
  it->second.series[labels].value += value;
}

void Metrics::set(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) return;
  it->second.series[labels].value = value;
}

void Metrics::observe(std::string_view name, const Labels& labels, double seconds) {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) return;
  auto& series = it->second.series[labels];
  if (series.buckets.empty()) series.buckets.assign(std::size(kLatencyBuckets), 0);
  for (std::size_t i = 0; i < std::size(kLatencyBuckets); ++i) {
    if (seconds <= kLatencyBuckets[i]) series.buckets[i] += 1;
  }
  series.sum += seconds;
  series.count += 1;
}

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    const char* type = family.type == Type::counter ? "counter"
                       : family.type == Type::gauge ? "gauge"
                                                    : "histogram";
    out += "# HELP " + name + " " + family.help + "\n# TYPE " + name + " " + type + "\n";
    for (const auto& [labels, series] : family.series) {
      if (family.type != Type::histogram) {
        out += name + formatLabels(labels) + " " + number(series.value) + "\n";
        continue;
      }
      for (std::size_t i = 0; i < series.buckets.size(); ++i) {
        out += name + "_bucket" + formatLabels(labels, "le", number(kLatencyBuckets[i])) + " " +
               number(series.buckets[i]) + "\n";
      }
      out +=
          name + "_bucket" + formatLabels(labels, "le", "+Inf") + " " + number(series.count) + "\n";
      out += name + "_sum" + formatLabels(labels) + " " + number(series.sum) + "\n";
      out += name + "_count" + formatLabels(labels) + " " + number(series.count) + "\n";
    }
  }
  return out;
}

}  // namespace egov::core
