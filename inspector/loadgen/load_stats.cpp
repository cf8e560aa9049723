#include "inspector/loadgen/load_stats.hpp"

#include <algorithm>
#include <cmath>

namespace cello::inspector::loadgen {

void ErrorCounts::merge(const ErrorCounts& o) noexcept {
    connect += o.connect;
    read += o.read;
    write += o.write;
    timeout += o.timeout;
    status_4xx += o.status_4xx;
    status_5xx += o.status_5xx;
}

void IntervalTally::merge(const IntervalTally& o) noexcept {
    requests += o.requests;
    bytes_read += o.bytes_read;
    errors.merge(o.errors);
    latency.merge(o.latency);
}

void IntervalTally::reset() noexcept {
    requests = bytes_read = 0;
    errors = {};
    latency.reset();
}

void Tally::merge(const Tally& o) {
    requests += o.requests;
    bytes_read += o.bytes_read;
    errors.merge(o.errors);
    for (std::size_t i = 0; i < status_classes.size(); ++i) status_classes[i] += o.status_classes[i];
    if (per_target.size() < o.per_target.size()) per_target.resize(o.per_target.size());
    for (std::size_t i = 0; i < o.per_target.size(); ++i) per_target[i] += o.per_target[i];
    latency.merge(o.latency);
    uncorrected.merge(o.uncorrected);
    latency_sum_ns += o.latency_sum_ns;
    latency_sum_sq += o.latency_sum_sq;
}

double Tally::mean_ns() const noexcept {
    const auto n = latency.count();
    return n ? latency_sum_ns / static_cast<double>(n) : 0.0;
}

double Tally::stdev_ns() const noexcept {
    const auto n = latency.count();
    if (n < 2) return 0.0;
    const double mean = mean_ns();
    const double var = latency_sum_sq / static_cast<double>(n) - mean * mean;
    return std::sqrt(std::max(0.0, var));
}

}  // namespace cello::inspector::loadgen
