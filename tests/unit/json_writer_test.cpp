// cello::py::write_json against a real embedded interpreter. This file also holds the main() of
// pyembed_tests, which starts the interpreter once for every pyembed test.
#include "json_writer.hpp"
#include "py_test_support.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#ifndef CELLO_TEST_PYTHON
#define CELLO_TEST_PYTHON "/usr/bin/python3"
#endif

using namespace cello_test;

namespace {

// Long outputs (deep nesting) are cut down for failure messages.
std::string shorten(const std::string& s) { return s.size() <= 80 ? s : s.substr(0, 40) + "..." + s.substr(s.size() - 40); }

struct Written {
    bool ok = false;
    std::string out;
    std::string error;
};

Written write(const std::string& expr) {
    Written w;
    const Ref obj = eval(expr);
    if (!obj) return w;
    w.ok = cello::py::write_json(obj.get(), w.out, w.error);
    EXPECT_FALSE(PyErr_Occurred()) << "write_json left a Python exception set for " << expr;
    PyErr_Clear();
    return w;
}

// The JSON text of `expr`; a failure to write fails the test.
std::string json(const std::string& expr) {
    const Written w = write(expr);
    EXPECT_TRUE(w.ok) << expr << " -> error: " << w.error;
    return w.out;
}

// The error of writing `expr`; success fails the test.
std::string error_of(const std::string& expr) {
    const Written w = write(expr);
    EXPECT_FALSE(w.ok) << expr << " was written as " << shorten(w.out);
    EXPECT_FALSE(w.error.empty()) << expr << ": failure without a message";
    return w.error;
}

Py_ssize_t refcount(const std::string& expr) {
    const Ref o = eval(expr);
    return o ? Py_REFCNT(o.get()) - 1 : -1;
}

}  // namespace

// ---- write_json: core types -----------------------------------------------------------------

TEST(JsonWriter, StringsAreEscaped) {
    EXPECT_EQ(json(R"('a"b\\c')"), R"("a\"b\\c")");
    EXPECT_EQ(json(R"('line\nbreak\ttab\x01\x1f')"), R"("line\nbreak\ttab\u0001\u001f")");
    EXPECT_EQ(json("''"), R"("")");
    EXPECT_EQ(json("MyStr('sub')"), R"("sub")");
}

TEST(JsonWriter, NonAsciiPassesThroughAsUtf8) {
    EXPECT_EQ(json("'caf\\u00e9 \\u20ac \\U0001F600'"), "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
}

TEST(JsonWriter, LoneSurrogatesAreAnError) {
    EXPECT_TRUE(contains(error_of("'\\ud800'"), "UTF-8"));
    error_of("['ok', 'x\\udfffy']");
    error_of("{'\\ud800': 1}");
}

TEST(JsonWriter, IntegersOfAnySize) {
    EXPECT_EQ(json("0"), "0");
    EXPECT_EQ(json("-17"), "-17");
    EXPECT_EQ(json("2**63 - 1"), "9223372036854775807");
    EXPECT_EQ(json("-2**63"), "-9223372036854775808");
    EXPECT_EQ(json("2**63"), "9223372036854775808");
    EXPECT_EQ(json("2**64"), "18446744073709551616");
    EXPECT_EQ(json("10**40"), "10000000000000000000000000000000000000000");
    EXPECT_EQ(json("-10**40"), "-10000000000000000000000000000000000000000");
}

TEST(JsonWriter, BoolsAndNone) {
    EXPECT_EQ(json("[True, False, None]"), "[true,false,null]");
}

TEST(JsonWriter, FloatsUseShortestRoundTripForm) {
    EXPECT_EQ(json("0.1"), "0.1");
    EXPECT_EQ(json("1.0"), "1.0");
    EXPECT_EQ(json("-0.0"), "-0.0");
    EXPECT_EQ(json("1e300"), "1e+300");
    EXPECT_EQ(json("5e-324"), "5e-324");
    EXPECT_EQ(json("-2.5"), "-2.5");
    EXPECT_EQ(json("0.1 + 0.2"), "0.30000000000000004");
}

TEST(JsonWriter, FloatsReadBackBitForBit) {
    for (const char* expr : {"0.1", "1e300", "5e-324", "1.7976931348623157e308", "2.2250738585072014e-308",
                             "1e16", "123456789012345680000.0", "1/3", "-1e-7", "2.0**53", "3.0"}) {
        const std::string text = json(expr);
        const Ref want = eval(expr);
        ASSERT_TRUE(want);
        EXPECT_EQ(parse_double(text), PyFloat_AsDouble(want.get())) << expr << " -> " << text;
        EXPECT_TRUE(text.find_first_of(".e") != std::string::npos) << expr << " -> " << text << " reads back as int";
    }
}

TEST(JsonWriter, FloatsMatchPythonReprInFixedNotationRange) {
    // Between 1e-4 and 1e15 repr() is fixed-notation and shortest, so the texts must be equal.
    exec("import random\n"
         "rng = random.Random(1234)\n"
         "float_probe = [round(rng.uniform(-1e6, 1e6), k) for k in range(7) for _ in range(3000)]\n"
         "float_probe += [i / 100 for i in range(-20000, 20000, 3)] + [i / 7 for i in range(1, 3000)]\n"
         "float_probe += [rng.uniform(1e-4, 1e15) for _ in range(5000)] + [0.1 * i for i in range(1, 2000)]\n"
         "float_probe += [1e-4, 0.00012, 123456789.123, 999999999999999.9, 19.99, 0.3, 2.675, 1.005]\n");
    const std::string got = json("float_probe"), want = dumps("float_probe");
    ASSERT_EQ(got.size(), want.size()) << "some float was not written in its shortest form";
    EXPECT_EQ(got, want);
}

TEST(JsonWriter, NanAndInfinityAreErrors) {
    EXPECT_TRUE(contains(error_of("float('nan')"), "NaN"));
    EXPECT_TRUE(contains(error_of("float('inf')"), "inf"));
    error_of("[1, float('-inf')]");
    error_of("{'a': float('nan')}");
}

TEST(JsonWriter, ContainersKeepOrderAndAreCompact) {
    EXPECT_EQ(json("{'b': 1, 'a': [1, 2, {}], 'c': {'d': []}}"), R"({"b":1,"a":[1,2,{}],"c":{"d":[]}})");
    EXPECT_EQ(json("[]"), "[]");
    EXPECT_EQ(json("{}"), "{}");
}

TEST(JsonWriter, TuplesAreArrays) {
    EXPECT_EQ(json("(1, (2, 3), (), ('x',))"), R"([1,[2,3],[],["x"]])");
}

TEST(JsonWriter, SubclassesOfDictAndList) {
    EXPECT_EQ(json("MyDict(a=1, b=[2])"), R"({"a":1,"b":[2]})");
    EXPECT_EQ(json("collections.OrderedDict([('z', 1), ('a', 2)])"), R"({"z":1,"a":2})");
    EXPECT_EQ(json("collections.defaultdict(list, {'k': [1]})"), R"({"k":[1]})");
    EXPECT_EQ(json("MyList([1, 'two'])"), R"([1,"two"])");
}

TEST(JsonWriter, NonStringKeysAreConvertedLikeJsonDumps) {
    for (const char* expr : {"{2: 'a'}", "{-3: 'a'}", "{10**30: 'a'}", "{2.5: 'a'}", "{1.0: 'a'}", "{1e20: 'a'}",
                             "{True: 'a', False: 'b'}", "{None: 'a'}", "{Level.HIGH: 'a'}", "{MyStr('s'): 1}",
                             "{'s': 1, 7: 2, None: 3, 0.5: 4}"}) {
        EXPECT_EQ(json(expr), dumps(expr)) << expr;
    }
}

TEST(JsonWriter, UnsupportedKeysNameTheirType) {
    EXPECT_TRUE(contains(error_of("{(1, 2): 'a'}"), "tuple"));
    EXPECT_TRUE(contains(error_of("{Plain(): 'a'}"), "Plain"));
    EXPECT_TRUE(contains(error_of("{'ok': {frozenset(): 1}}"), "frozenset"));
}

TEST(JsonWriter, UnsupportedValuesNameTheirType) {
    EXPECT_TRUE(contains(error_of("Plain()"), "Plain"));
    EXPECT_TRUE(contains(error_of("{'a': [1, {2, 3}]}"), "set"));
    EXPECT_TRUE(contains(error_of("b'bytes'"), "bytes"));
    EXPECT_TRUE(contains(error_of("1j"), "complex"));
    EXPECT_TRUE(contains(error_of("Plain"), "type type")) << "a class is not its instances";
}

// ---- write_json: nesting and cycles ---------------------------------------------------------

TEST(JsonWriter, ModerateNestingIsFine) {
    const std::string text = json("nested_lists(200)");
    EXPECT_EQ(text, std::string(200, '[') + std::string(200, ']'));
    EXPECT_EQ(json("nested_dicts(3)"), R"({"k":{"k":{}}})");
}

TEST(JsonWriter, NestingUpToTheLimitIsAccepted) {
    EXPECT_EQ(json("nested_lists(256)"), std::string(256, '[') + std::string(256, ']'));
}

TEST(JsonWriter, NestingBeyondTheLimitIsAnError) {
    EXPECT_TRUE(contains(error_of("nested_lists(257)"), "nesting"));
    EXPECT_TRUE(contains(error_of("nested_dicts(257)"), "nesting"));
    EXPECT_TRUE(contains(error_of("nested_lists(5000)"), "nesting"));
}

TEST(JsonWriter, CircularReferencesAreAnErrorNotACrash) {
    EXPECT_TRUE(contains(error_of("circular_list()"), "nesting"));
    EXPECT_TRUE(contains(error_of("circular_dict()"), "nesting"));
    EXPECT_TRUE(contains(error_of("SelfJson()"), "nesting"));
}

// ---- write_json: fallbacks ------------------------------------------------------------------

TEST(JsonWriter, Dataclasses) {
    EXPECT_EQ(json("Point(1, 2.5, ['a'])"), R"({"x":1,"y":2.5,"tags":["a"]})");
    EXPECT_EQ(json("Line(Point(0, 0.0, []), Point(1, 1.0, [None]))"),
              R"({"start":{"x":0,"y":0.0,"tags":[]},"end":{"x":1,"y":1.0,"tags":[null]}})");
    EXPECT_EQ(json("[Point(1, 2.0, [])]"), R"([{"x":1,"y":2.0,"tags":[]}])");
    EXPECT_TRUE(contains(error_of("Point(1, 2.0, [Plain()])"), "Plain"));
}

TEST(JsonWriter, DatesAndTimesAsIsoformat) {
    EXPECT_EQ(json("datetime.datetime(2024, 1, 2, 3, 4, 5, 600000)"), R"("2024-01-02T03:04:05.600000")");
    EXPECT_EQ(json("datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)"),
              R"("2024-01-02T03:04:05+00:00")");
    EXPECT_EQ(json("datetime.date(2024, 2, 29)"), R"("2024-02-29")");
    EXPECT_EQ(json("datetime.time(13, 5)"), R"("13:05:00")");
    EXPECT_EQ(json("{'at': datetime.date(1999, 12, 31)}"), R"({"at":"1999-12-31"})");
}

TEST(JsonWriter, UuidAsString) {
    EXPECT_EQ(json("uuid.UUID('12345678-1234-5678-1234-567812345678')"), R"("12345678-1234-5678-1234-567812345678")");
}

TEST(JsonWriter, DecimalAsExactNumber) {
    EXPECT_EQ(json("decimal.Decimal('1.10')"), "1.10");
    EXPECT_EQ(json("decimal.Decimal('-12345678901234567890.000000001')"), "-12345678901234567890.000000001");
    EXPECT_EQ(json("decimal.Decimal(0)"), "0");
    // Whatever form str() picks, it must be a JSON number with the same value.
    const std::string sci = json("decimal.Decimal('1E+3')");
    EXPECT_EQ(parse_double(sci), 1000.0) << sci;
}

TEST(JsonWriter, NonFiniteDecimalsAreErrors) {
    EXPECT_TRUE(contains(error_of("decimal.Decimal('NaN')"), "NaN"));
    error_of("decimal.Decimal('sNaN')");
    error_of("decimal.Decimal('-Infinity')");
}

TEST(JsonWriter, EnumsAsTheirValue) {
    EXPECT_EQ(json("Color.RED"), R"("red")");
    EXPECT_EQ(json("Color.GREEN"), "2");
    EXPECT_EQ(json("Color.POINT"), "[1,2]");
    EXPECT_EQ(json("Level.HIGH"), "10");
    EXPECT_EQ(json("[Level.LOW, {'c': Color.RED}]"), R"([1,{"c":"red"}])");
    EXPECT_TRUE(contains(error_of("Color.BAD"), "type object"));
}

TEST(JsonWriter, ObjectsWithJsonMethod) {
    EXPECT_EQ(json("WithJson()"), R"({"via":"__json__","n":[1,2]})");
    EXPECT_EQ(json("[WithJson()]"), R"([{"via":"__json__","n":[1,2]}])");
}

TEST(JsonWriter, MatchesJsonDumpsOnStandardData) {
    for (const char* expr : {"{'users': [{'id': 1, 'name': 'Ann', 'score': 9.5, 'admin': False, 'tags': None}]}",
                             "[1, -2, 3.25, 'x\\\"y', [[], {}], True]", "'\\u00e9\\n'", "list(range(50))"}) {
        EXPECT_EQ(json(expr), dumps(expr)) << expr;
    }
}

TEST(JsonWriter, FallbacksDoNotLeakReferences) {
    exec("big = 10**40\nleak_probe = [Point(big, 1.0, [big]), WithJson(), Color.RED, datetime.date(2024, 1, 1), "
         "decimal.Decimal('1.5')]\n");
    const Py_ssize_t before = refcount("big");
    for (int i = 0; i < 100; ++i) json("leak_probe");
    EXPECT_EQ(refcount("big"), before);
}

TEST(JsonWriter, AppendsToExistingOutput) {
    const Ref obj = eval("[1]");
    ASSERT_TRUE(obj);
    std::string out = "prefix:", error;
    ASSERT_TRUE(cello::py::write_json(obj.get(), out, error));
    EXPECT_EQ(out, "prefix:[1]");
}

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    // The configured interpreter, not whatever `python3` on PATH is (see docs: pyenv shim).
    PyStatus status = PyConfig_SetBytesString(&config, &config.executable, CELLO_TEST_PYTHON);
    if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        std::fprintf(stderr, "cannot start Python: %s\n", status.err_msg ? status.err_msg : "?");
        return 2;
    }
    const int rc = RUN_ALL_TESTS();
    if (Py_FinalizeEx() < 0) return rc ? rc : 3;
    return rc;
}
