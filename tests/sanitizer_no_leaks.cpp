// Linked into test programs that embed Python, only under -DCELLO_SANITIZE: LeakSanitizer off by
// default (also for gtest's test discovery at build time, which runs the program before any
// test property applies). CPython leaves its own allocations to the OS at exit and LSan would
// report those; see tests/CMakeLists.txt.
// Exported even from targets built with hidden visibility: the runtime looks the hook up dynamically.
extern "C" __attribute__((visibility("default"))) const char* __asan_default_options() { return "detect_leaks=0"; }
