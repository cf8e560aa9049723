// Linked into test programs that embed Python, only under -DCELLO_SANITIZE: LeakSanitizer off by
// default (also for gtest's test discovery at build time, which runs the program before any
// test property applies). CPython leaves its own allocations to the OS at exit and LSan would
// report those; see tests/CMakeLists.txt.
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
