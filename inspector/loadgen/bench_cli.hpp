// `cello bench`: the command line in front of LoadGenerator and find_ceiling. Runs natively,
// without starting Python (pyembed/src/cello_main.cpp dispatches here).
#pragma once

#include "inspector/loadgen/ceiling.hpp"
#include "inspector/loadgen/load_config.hpp"

#include <string>
#include <vector>

namespace cello::inspector {

namespace loadgen {

struct BenchOptions {
    std::string url;
    LoadConfig config;
    bool json = false;
    bool ceiling = false;
    CeilingConfig ceiling_config;
};

enum class ParseOutcome { Run, Help, Error };

// args: what follows "cello bench". On Error, `error` says what is wrong.
ParseOutcome parse_bench_args(const std::vector<std::string>& args, BenchOptions& out, std::string& error);

extern const char* const kBenchUsage;

}  // namespace loadgen

// argv[0] is the program, argv[1] "bench". Exit status: 0 done, 1 target unreachable or the run
// failed, 2 bad arguments.
int bench_main(int argc, char** argv);

}  // namespace cello::inspector
