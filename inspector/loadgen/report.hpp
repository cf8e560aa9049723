// How `cello bench` prints a run: wrk-like text, or JSON with the full histogram.
#pragma once

#include "inspector/loadgen/ceiling.hpp"
#include "inspector/loadgen/load_generator.hpp"

#include <cstdint>
#include <string>

namespace cello::inspector::loadgen {

// "512.00us", "1.23ms", "2.00s" (as wrk prints durations).
std::string format_latency(double ns);
// "65.43MB", "512.00B".
std::string format_bytes(double bytes);

std::string text_report(const std::string& url, const LoadResult& result);
std::string json_report(const std::string& url, const LoadResult& result);
std::string text_report(const std::string& url, const CeilingResult& result, const CeilingConfig& config);
std::string json_report(const std::string& url, const CeilingResult& result, const CeilingConfig& config);

// The percentiles every report shows.
inline constexpr double kReportPercentiles[] = {50, 75, 90, 99, 99.9, 99.99};

}  // namespace cello::inspector::loadgen
