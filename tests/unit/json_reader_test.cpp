// cello::py::read_json (simdjson, with Python's json module for integers beyond 64 bits).
#include "json_reader.hpp"
#include "json_writer.hpp"
#include "py_test_support.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

using namespace cello_test;

namespace {

// read_json on `text`; nullptr (with `error` set) on failure.
Ref read(std::string_view text, std::string& error) {
    Ref r(cello::py::read_json(text, error));
    EXPECT_FALSE(PyErr_Occurred()) << "read_json left a Python exception set for " << text;
    PyErr_Clear();
    return r;
}

// True when read_json(text) equals the Python value of `expr` (and is of the same types).
void expect_reads_as(std::string_view text, const std::string& expr) {
    std::string error;
    const Ref got = read(text, error);
    ASSERT_TRUE(got) << text << " -> " << error;
    const Ref want = eval(expr);
    ASSERT_TRUE(want);
    // repr() distinguishes 1 from 1.0 and True from 1, which == does not.
    const Ref got_repr(PyObject_Repr(got.get())), want_repr(PyObject_Repr(want.get()));
    EXPECT_STREQ(PyUnicode_AsUTF8(got_repr.get()), PyUnicode_AsUTF8(want_repr.get())) << "reading " << text;
}

std::string read_error(std::string_view text) {
    std::string error;
    const Ref got = read(text, error);
    EXPECT_FALSE(got) << "invalid input was accepted: " << text;
    EXPECT_FALSE(error.empty()) << text;
    return error;
}

}  // namespace

// ---- read_json ------------------------------------------------------------------------------

TEST(JsonReader, ScalarsArraysObjectsAndNesting) {
    expect_reads_as(R"({"a": [1, 2.5, "x", true, false, null], "b": {"c": {}, "d": []}})",
                    "{'a': [1, 2.5, 'x', True, False, None], 'b': {'c': {}, 'd': []}}");
    expect_reads_as("42", "42");
    expect_reads_as("-0.5", "-0.5");
    expect_reads_as("1.0", "1.0");
    expect_reads_as("1e2", "100.0");
    expect_reads_as("\"s\"", "'s'");
    expect_reads_as("null", "None");
    expect_reads_as("[[[[[[[[[[1]]]]]]]]]]", "[[[[[[[[[[1]]]]]]]]]]");
}

TEST(JsonReader, KeepsKeyOrderAndLastDuplicateWins) {
    expect_reads_as(R"({"z": 1, "a": 2, "z": 3})", "{'z': 3, 'a': 2}");
}

TEST(JsonReader, StringsWithEscapesAndNonAscii) {
    expect_reads_as(R"(["caf\u00e9", "\ud83d\ude00", "tab\tnl\n", "\"q\"", "\u0000"])",
                    "['caf\\u00e9', '\\U0001F600', 'tab\\tnl\\n', '\"q\"', '\\x00']");
    expect_reads_as("\"caf\xC3\xA9\"", "'caf\\u00e9'");
}

TEST(JsonReader, SixtyFourBitIntegers) {
    expect_reads_as("[9223372036854775807, -9223372036854775808, 18446744073709551615]",
                    "[2**63 - 1, -2**63, 2**64 - 1]");
}

TEST(JsonReader, IntegersBeyondSixtyFourBitsStayExact) {
    expect_reads_as("18446744073709551616", "2**64");
    expect_reads_as("[1, 100000000000000000000000000000000000000000]", "[1, 10**41]");
    expect_reads_as(R"({"n": -100000000000000000000000000000})", "{'n': -10**29}");
}

TEST(JsonReader, InvalidJsonIsAnError) {
    for (std::string_view text : {"", "{", "[1,]", "{'a': 1}", "nul", "[1] x", "{\"a\" 1}", "01", "\"unterminated",
                                  "[1e]", "NaN", "-Infinity", "[1, -Infinity]"}) {
        read_error(text);
    }
}

TEST(JsonReader, BigIntFallbackStillRejectsNonJson) {
    // json.loads accepts NaN and Infinity; a document that goes to the Python fallback must not.
    read_error("[100000000000000000000000000000, NaN]");
    read_error("[100000000000000000000000000000, Infinity]");
    read_error("{\"a\": 100000000000000000000000000000, \"b\": -Infinity}");
}

TEST(JsonReader, NumbersBeyondADoubleAreAnError) {
    // simdjson refuses them; the Python fallback would have made them inf (which the writer refuses).
    for (std::string_view text : {"1e400", "[1e400]", "[-1e400]", "1e309", "{\"a\": -1.5e999}",
                                  "[100000000000000000000000000000, 1e400]"}) {
        const std::string error = read_error(text);
        EXPECT_NE(error.find("out of range"), std::string::npos) << text << " -> " << error;
    }
    expect_reads_as("[1e-400, 1.7976931348623157e308]", "[0.0, 1.7976931348623157e308]");  // underflow is 0.0
}

TEST(JsonReader, LongIntegersUpToPythonsDigitLimit) {
    // Python's own guard against O(n^2) int(): sys.get_int_max_str_digits() (4300 by default).
    const std::string at_limit(4300, '7'), beyond(5000, '7');
    expect_reads_as("[" + at_limit + "]", "[int('" + at_limit + "')]");
    expect_reads_as("-" + at_limit, "-int('" + at_limit + "')");
    const std::string error = read_error("{\"n\": " + beyond + "}");
    EXPECT_NE(error.find("5000 digits"), std::string::npos) << error;
    EXPECT_NE(error.find("4300"), std::string::npos) << error;
}

TEST(JsonReader, UnpairedSurrogateEscapesAreAnErrorAlsoInTheFallback) {
    read_error(R"(["\ud800"])");
    read_error(R"([100000000000000000000000000000, "\ud800"])");  // json.loads alone would accept it
    read_error(R"({"\udc00": 100000000000000000000000000000})");
    expect_reads_as(R"([100000000000000000000000000000, "\ud83d\ude00"])", "[10**29, '\\U0001F600']");
}

TEST(JsonReader, DeepNestingIsAnErrorNotACrash) {
    const std::size_t depth = 100000;
    const std::string deep = std::string(depth, '[') + std::string(depth, ']');
    read_error(deep);
    read_error(std::string(depth, '['));
    read_error("[100000000000000000000000000000, " + deep + "]");  // the fallback's recursion limit
    read_error(std::string(depth, '{'));
    expect_reads_as(std::string(500, '[') + std::string(500, ']'), "__import__('json').loads('[' * 500 + ']' * 500)");
}

TEST(JsonReader, InvalidUtf8IsAnError) {
    read_error("\"\xFF\"");
    read_error("[\"ok\", \"\xC3\"]");
    read_error("{\"\xED\xA0\x80\": 1}");  // encoded surrogate
    read_error("[\"\xFF\", 100000000000000000000000000000]");  // also when the big-int fallback would run
}

TEST(JsonReader, RoundTripsThroughTheWriter) {
    const std::string text = R"({"a":[1,2.5,"x\n",true,null],"b":{"c":-7,"d":"caf)" "\xC3\xA9" R"("}})";
    std::string error;
    const Ref obj = read(text, error);
    ASSERT_TRUE(obj) << error;
    std::string out;
    ASSERT_TRUE(cello::py::write_json(obj.get(), out, error)) << error;
    EXPECT_EQ(out, text);
}
