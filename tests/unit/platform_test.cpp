// engine/platform: the interfaces with a POSIX and a Windows file, tested the same on both (the
// Windows build runs these under wine).
#include "engine/platform/program_location.hpp"
#include "engine/platform/stdio_capture.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

namespace {

using cello::engine::platform::StdioCapture;
using namespace std::chrono_literals;

// The C runtime's descriptor calls, named alike on both.
int fd_dup(int fd) {
#ifdef _WIN32
    return _dup(fd);
#else
    return ::dup(fd);
#endif
}
void fd_dup2(int from, int to) {
#ifdef _WIN32
    _dup2(from, to);
#else
    ::dup2(from, to);
#endif
}
void fd_close(int fd) {
#ifdef _WIN32
    _close(fd);
#else
    ::close(fd);
#endif
}
void fd_write(int fd, std::string_view text) {
#ifdef _WIN32
    ASSERT_EQ(_write(fd, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
#else
    ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
#endif
}

std::string read_all(StdioCapture& capture) {
    std::string all;
    char buffer[4096];
    while (const std::size_t n = capture.read(buffer, sizeof buffer)) all.append(buffer, n);
    return all;
}

TEST(ExecutablePath, IsThisTestProgram) {
    const auto path = cello::engine::platform::executable_path();
    EXPECT_TRUE(path.is_absolute()) << path;
    EXPECT_EQ(path.stem(), "platform_tests") << path;
    EXPECT_TRUE(std::filesystem::is_regular_file(path)) << path;
}

TEST(StdioCapture, ReadsStdoutAndStderrInTheOrderWritten) {
    std::string got;
    {
        StdioCapture capture;
        ASSERT_TRUE(capture.active());
        fd_write(1, "one\n");
        fd_write(2, "two\n");
        std::printf("three\n");
        std::fflush(stdout);
        std::fputs("four\n", stderr);
        std::fflush(stderr);
        capture.stop();
        got = read_all(capture);  // what was written before stop(), then the end
    }
    EXPECT_EQ(got, "one\ntwo\nthree\nfour\n");
}

TEST(StdioCapture, StopWakesAReaderWhileAnotherWriterHoldsThePipe) {
    std::string got;
    bool woke = false;
    {
        StdioCapture capture;
        ASSERT_TRUE(capture.active());
        const int holder = fd_dup(1);  // as a child process that inherited stdout would: no end of file
        std::atomic<bool> seen{false};
        auto reader = std::async(std::launch::async, [&] {
            std::string all;
            char buffer[4096];
            while (const std::size_t n = capture.read(buffer, sizeof buffer)) {
                all.append(buffer, n);
                if (all.find("hello\n") != std::string::npos) seen = true;
            }
            return all;
        });
        fd_write(1, "hello\n");
        for (int i = 0; i < 6000 && !seen; ++i) std::this_thread::sleep_for(10ms);
        // The reader has taken "hello" and waits for more: stop() must end that wait.
        capture.stop();
        woke = reader.wait_for(60s) == std::future_status::ready;
        fd_close(holder);  // (if it did not wake, this ends the read, so that the test ends)
        got = reader.get();
    }
    EXPECT_TRUE(woke);
    EXPECT_EQ(got, "hello\n");
}

TEST(StdioCapture, AfterStopTheReaderTakesOnlyWhatWasThere) {
#ifndef _WIN32
    std::signal(SIGPIPE, SIG_IGN);  // the writer below outlives the pipe's read end
#endif
    bool woke = false;
    std::atomic<bool> writing{true};
    std::thread writer;
    int holder = -1;
    {
        StdioCapture capture;
        ASSERT_TRUE(capture.active());
        holder = fd_dup(1);  // as a child process that inherited stdout and never stops writing
        writer = std::thread([&] {
            const std::string line(100, 'x');
            while (writing) {
#ifdef _WIN32
                if (_write(holder, line.data(), static_cast<unsigned>(line.size())) <= 0) break;
#else
                if (::write(holder, line.data(), line.size()) <= 0) break;
#endif
            }
        });
        auto reader = std::async(std::launch::async, [&] { return read_all(capture).size(); });
        std::this_thread::sleep_for(50ms);
        capture.stop();
        woke = reader.wait_for(60s) == std::future_status::ready;
        writing = false;
        if (woke) reader.get();
    }  // the read end closes: a writer blocked on a full pipe gets an error
    writer.join();
    fd_close(holder);
    EXPECT_TRUE(woke);
}

TEST(StdioCapture, StopGivesStdoutBack) {
    std::random_device random;
    const auto file = std::filesystem::temp_directory_path() / ("cello-stdio-test-" + std::to_string(random()) + ".txt");
    std::FILE* f = std::fopen(file.string().c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fflush(stdout);
    const int real_out = fd_dup(1);
    fd_dup2(fileno(f), 1);  // stdout is this file from here on
    std::string captured;
    {
        StdioCapture capture;
        fd_write(1, "captured\n");
        capture.stop();
        fd_write(1, "after stop\n");
        captured = read_all(capture);
    }
    fd_write(1, "after the capture\n");
    fd_dup2(real_out, 1);
    fd_close(real_out);
    std::fclose(f);
    std::ifstream in(file, std::ios::binary);
    std::stringstream file_text;
    file_text << in.rdbuf();
    in.close();
    std::filesystem::remove(file);
    EXPECT_EQ(captured, "captured\n");
    EXPECT_EQ(file_text.str(), "after stop\nafter the capture\n");
}

}  // namespace
