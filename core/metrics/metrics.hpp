// Prometheus metrics: counters, gauges and latency histograms with labels. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace egov::core {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  Metrics();

  // Names must be declared once (type, help) before use; undeclared names are ignored.
  void declareCounter(std::string name, std::string help);
  void declareGauge(std::string name, std::string help);
  void declareHistogram(std::string name, std::string help);

  void add(std::string_view name, const Labels& labels, double value = 1.0);
  void set(std::string_view name, const Labels& labels, double value);
  void observe(std::string_view name, const Labels& labels, double seconds);

  // The Prometheus text exposition format, version 0.0.4.
  std::string render() const;

 private:
  enum class Type { counter, gauge, histogram };
  struct Series {
    double value = 0;             // counter or gauge
    std::vector<double> buckets;  // histogram: cumulative counts per bound
    double sum = 0;
    double count = 0;
  };
  struct Family {
    Type type;
    std::string help;
    std::map<Labels, Series> series;
  };

  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
};

// Latency buckets in seconds shared by every histogram.
inline constexpr double kLatencyBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25,  0.5,    1,     2.5,  5,     10};

}  // namespace egov::core
