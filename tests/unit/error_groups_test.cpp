// Tracebacks cut into frames, and failures grouped by exception type and place.
#include "inspector/error_groups.hpp"
#include "inspector/traceback_text.hpp"

#include <gtest/gtest.h>

using namespace cello::inspector;

namespace {

const std::vector<std::string> kCelloDir = {"/opt/cello/python/cello/"};

// What traceback.format_exception prints for a handler that fails in a helper (Python 3.11).
std::string traceback_in(const std::string& line, const std::string& message = "KeyError: 42") {
    return "Traceback (most recent call last):\n"
           "  File \"/opt/cello/python/cello/app.py\", line 88, in _call\n"
           "    return handler(request)\n"
           "  File \"/srv/site/app.py\", line 12, in get_user\n"
           "    return load(request.params[\"id\"])\n"
           "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
           "  File \"/srv/site/store.py\", line " + line + ", in load\n"
           "    return USERS[key]\n"
           "  File \"/usr/lib/python3.11/collections/__init__.py\", line 1121, in __getitem__\n"
           "    raise KeyError(key)\n" + message + "\n";
}

ErrorRow row(std::string traceback, std::int64_t at, std::string route = "GET /users/{id}") {
    ErrorRow e;
    e.time_ns = at;
    e.route = std::move(route);
    e.status = 500;
    e.traceback = std::move(traceback);
    e.message = e.traceback.substr(e.traceback.rfind('\n', e.traceback.size() - 2) + 1);
    e.message.pop_back();
    return e;
}

}  // namespace

TEST(Traceback, FramesCodeAndTheExceptionAreFound) {
    const auto tb = parse_traceback(traceback_in("30"), kCelloDir);
    std::vector<const TracebackFrame*> frames;
    for (const auto& p : tb.parts)
        if (p.is_frame) frames.push_back(&p.frame);
    ASSERT_EQ(frames.size(), 4u);
    EXPECT_EQ(frames[1]->file, "/srv/site/app.py");
    EXPECT_EQ(frames[1]->line, 12);
    EXPECT_EQ(frames[1]->function, "get_user");
    EXPECT_NE(frames[1]->code.find("^^^^"), std::string::npos);  // the marker line stays with its frame
    EXPECT_TRUE(frames[0]->framework);   // Cello's package
    EXPECT_FALSE(frames[1]->framework);
    EXPECT_TRUE(frames[3]->framework);   // the standard library
    EXPECT_EQ(tb.exception_type, "KeyError");
    EXPECT_EQ(tb.message, "KeyError: 42");
    ASSERT_NE(tb.location(), nullptr);
    EXPECT_EQ(tb.location()->file, "/srv/site/store.py");  // the innermost app frame, not collections
    EXPECT_EQ(tb.location()->line, 30);
}

TEST(Traceback, ChainedExceptionsAreLocatedInTheLastOne) {
    const std::string text = traceback_in("30") +
                             "\nDuring handling of the above exception, another exception occurred:\n\n"
                             "Traceback (most recent call last):\n"
                             "  File \"/srv/site/app.py\", line 14, in get_user\n"
                             "    raise NotFound(\"no user\")\n"
                             "errors.NotFound: no user\n";
    const auto tb = parse_traceback(text, kCelloDir);
    EXPECT_EQ(tb.exception_type, "errors.NotFound");
    ASSERT_NE(tb.location(), nullptr);
    EXPECT_EQ(tb.location()->line, 14);
}

TEST(Traceback, TextWithoutFramesHasNoLocation) {
    const auto tb = parse_traceback("not a traceback at all\n");
    EXPECT_EQ(tb.location(), nullptr);
    EXPECT_EQ(tb.exception_type, "");
    ASSERT_EQ(tb.parts.size(), 1u);
    EXPECT_EQ(parse_traceback("").parts.size(), 0u);
}

TEST(ErrorGroups, SameTypeAndPlaceIsOneGroupWithCountsAndTimes) {
    ErrorGroups groups(kCelloDir);
    groups.add(row(traceback_in("30", "KeyError: 1"), 100));
    auto burst = row(traceback_in("30", "KeyError: 2"), 200, "GET /admin/{id}");
    burst.count = 500;  // folded by the server under load
    burst.last_ns = 900;
    groups.add(burst);
    groups.add(row(traceback_in("31"), 300));                                // another line: another group
    groups.add(row(traceback_in("30", "ValueError: x"), 400));               // another type: another group
    ASSERT_EQ(groups.groups().size(), 3u);
    const ErrorGroup& g = groups.groups()[0];
    EXPECT_EQ(g.count, 501u);
    EXPECT_EQ(g.first_ns, 100);
    EXPECT_EQ(g.last_ns, 900);
    EXPECT_EQ(g.latest.message, "KeyError: 2");
    EXPECT_EQ(g.place(), "store.py:30 in load");
    EXPECT_EQ(g.routes, (std::vector<std::string>{"GET /users/{id}", "GET /admin/{id}"}));
    EXPECT_EQ(groups.total(), 503u);
}

TEST(ErrorGroups, BoundedGroupsStillCountEveryFailure) {
    ErrorGroups groups({}, 2);
    for (int i = 0; i < 5; ++i) groups.add(row(traceback_in(std::to_string(10 + i)), i));
    groups.add(row(traceback_in("10"), 9));  // an existing group still counts
    EXPECT_EQ(groups.groups().size(), 2u);
    EXPECT_EQ(groups.groups()[0].count, 2u);
    EXPECT_EQ(groups.ungrouped(), 3u);
    EXPECT_EQ(groups.total(), 6u);
    groups.clear();
    EXPECT_TRUE(groups.groups().empty());
    EXPECT_EQ(groups.total(), 0u);
}

TEST(ErrorGroups, AFailureWithoutTracebackIsGroupedByMessageAndRoute) {
    ErrorGroups groups;
    ErrorRow e;
    e.route = "GET /slow";
    e.status = 504;
    e.message = "TimeoutError: the handler took longer than 30 s";
    groups.add(e);
    groups.add(e);
    ASSERT_EQ(groups.groups().size(), 1u);
    EXPECT_EQ(groups.groups()[0].exception_type, "TimeoutError");
    EXPECT_EQ(groups.groups()[0].place(), "");
    EXPECT_EQ(groups.groups()[0].count, 2u);
}

TEST(ErrorGroups, PollsAreDedupedAndLossesCounted) {
    ErrorGroups groups;
    auto numbered = [](std::uint64_t seq) {
        ErrorRow e = row(traceback_in("30"), static_cast<std::int64_t>(seq));
        e.seq = seq;
        return e;
    };
    groups.add_from(1, {numbered(7), numbered(8)}, 0);   // attached late: 1..6 were before, not lost
    EXPECT_EQ(groups.unrecorded(), 0u);
    groups.add_from(1, {numbered(8), numbered(9)}, 0);   // 8 again (attached again): not counted twice
    EXPECT_EQ(groups.total(), 3u);
    groups.add_from(1, {numbered(15)}, 4);               // 10..14 let go between polls, 4 dropped
    EXPECT_EQ(groups.unrecorded(), 9u);
    groups.add_from(2, {numbered(1)}, 0);                // another server (a restart): its own numbers
    EXPECT_EQ(groups.total(), 5u);
    groups.clear();
    EXPECT_EQ(groups.unrecorded(), 0u);
    groups.add_from(1, {numbered(15), numbered(16)}, 5);  // after a clear: only what is new
    EXPECT_EQ(groups.total(), 1u);
    EXPECT_EQ(groups.unrecorded(), 1u);
}
