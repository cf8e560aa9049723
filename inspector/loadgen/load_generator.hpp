// A native HTTP/1.1 load generator: keep-alive connections spread over threads (one Asio
// io_context per thread), closed loop (like wrk) or open loop with coordinated-omission
// correction (like wrk2), HDR latency histograms and per-second progress.
//
//   LoadGenerator gen(config);
//   gen.start();                    // returns at once; the run goes on in its own threads
//   gen.progress();                 // any thread, any time: completed seconds, totals so far
//   gen.stop();                     // optional early stop
//   gen.wait();                     // until the run ended (duration reached or stopped)
//   const LoadResult& r = gen.result();
#pragma once

#include "inspector/loadgen/load_config.hpp"
#include "inspector/loadgen/load_stats.hpp"
#include "inspector/loadgen/progress_board.hpp"

#include <memory>
#include <string>

namespace cello::inspector::loadgen {

struct LoadResult {
    LoadConfig config;
    double elapsed_s = 0;      // from the first request's due time to the end
    bool stopped_early = false;
    Tally totals;
    std::vector<SecondSample> seconds;

    bool open_loop() const noexcept { return config.rate > 0; }
    double requests_per_sec() const noexcept { return elapsed_s > 0 ? static_cast<double>(totals.requests) / elapsed_s : 0; }
    double bytes_per_sec() const noexcept { return elapsed_s > 0 ? static_cast<double>(totals.bytes_read) / elapsed_s : 0; }
};

class LoadGenerator {
public:
    using SecondCallback = ProgressBoard::SecondCallback;

    // on_second, if given, is called once per completed second on one of the run's threads
    // (keep it short; a GUI should post to its own thread).
    explicit LoadGenerator(LoadConfig config, SecondCallback on_second = {});
    ~LoadGenerator();  // stops and joins a run still going
    LoadGenerator(const LoadGenerator&) = delete;
    LoadGenerator& operator=(const LoadGenerator&) = delete;

    // Resolves the host and starts the threads. Throws std::invalid_argument for a config that
    // validate() rejects, std::runtime_error when the host does not resolve. Once per object.
    void start();
    Progress progress() const;
    void stop() noexcept;       // thread-safe; the run ends within a few milliseconds
    void wait();                // blocks until every thread has ended
    bool finished() const noexcept;
    const LoadResult& result() const;  // valid after wait()

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// One connection as the run's would open within `timeout` (TCP; for https:// the TLS handshake,
// and for --http2 over TLS the server choosing h2); empty when it worked, else why not. The CLI
// and the studio check the target with it before a run.
std::string probe_connect(const LoadConfig& config, Duration timeout);

}  // namespace cello::inspector::loadgen
