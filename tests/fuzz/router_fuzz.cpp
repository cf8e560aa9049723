// Fuzzes engine::Router against a naive reference matcher written here.
//
// Input: byte 0 picks the mode and the method. Without the 0x80 bit the rest is a path looked up
// in a fixed table; with it, the rest is "M/pattern\n" lines registered in a fresh router (M, any
// byte, picks the method) followed by the path, looked up for every method.
//
// Checked on every lookup: the outcome, route id and Allow value equal the reference's (the
// matching route whose segment kinds, read left to right, are the smallest with static < param <
// catch-all), the parameters are the reference's and are views inside the path, at most
// kMaxParams of them. A pattern the router accepts must fit the pattern grammar and not repeat a
// (method, pattern) pair; a rejected one must leave the table as it was (the reference never
// sees it, so any change shows up as a mismatch).
#include "engine/router.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace cello::engine;

namespace {

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            std::fprintf(stderr, "router_fuzz: check failed at line %d: %s\n", __LINE__, #cond); \
            std::abort();                                                              \
        }                                                                              \
    } while (0)

// ---- the reference ------------------------------------------------------------------------------

struct Seg {
    enum Kind { Static = 0, Param = 1, CatchAll = 2 } kind = Static;
    std::string text;  // static text or parameter name
    bool is_int = false;
    bool operator==(const Seg&) const = default;
};

struct Entry {
    std::vector<Seg> segs;
    Method method;
    std::uint32_t id;
};

bool identifier(std::string_view s) {
    if (s.empty()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}

std::vector<std::string_view> split(std::string_view s) {  // s without the leading '/'
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    while (true) {
        const std::size_t slash = s.find('/', pos);
        out.push_back(s.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos));
        if (slash == std::string_view::npos) return out;
        pos = slash + 1;
    }
}

// The grammar of the patterns the router may accept; nullopt for anything outside it.
std::optional<std::vector<Seg>> parse_pattern(std::string_view p) {
    if (p.empty() || p[0] != '/') return std::nullopt;
    std::vector<Seg> out;
    std::vector<std::string> names;
    const auto parts = split(p.substr(1));
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::string_view s = parts[i];
        Seg seg;
        if (s.find_first_of("{}") == std::string_view::npos) {
            seg.text = std::string(s);
        } else {
            if (s.size() < 3 || s.front() != '{' || s.back() != '}') return std::nullopt;
            std::string_view inner = s.substr(1, s.size() - 2);
            seg.kind = Seg::Param;
            if (inner[0] == '*') {
                seg.kind = Seg::CatchAll;
                inner.remove_prefix(1);
            } else if (const auto colon = inner.find(':'); colon != std::string_view::npos) {
                const std::string_view type = inner.substr(colon + 1);
                inner = inner.substr(0, colon);
                if (type == "int") seg.is_int = true;
                else if (type == "path") seg.kind = Seg::CatchAll;
                else if (type != "str") return std::nullopt;
            }
            if (!identifier(inner)) return std::nullopt;
            if (std::find(names.begin(), names.end(), inner) != names.end()) return std::nullopt;
            names.emplace_back(inner);
            if (seg.kind == Seg::CatchAll && i + 1 != parts.size()) return std::nullopt;
            seg.text = std::string(inner);
        }
        out.push_back(std::move(seg));
    }
    if (names.size() > kMaxParams) return std::nullopt;
    return out;
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// {id:int}: digits (leading zeros allowed) whose value fits 0...2^63-1, said independently of
// engine::parse_int_param: compared as text.
bool int_segment(std::string_view s) {
    if (!all_digits(s)) return false;
    while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
    constexpr std::string_view max = "9223372036854775807";
    return s.size() < max.size() || (s.size() == max.size() && s <= max);
}

// Whether `path` fits `segs`; the parameter values (views into path) land in `values`.
bool fits(const std::vector<Seg>& segs, std::string_view path, std::vector<std::string_view>& values) {
    values.clear();
    const auto parts = split(path.substr(1));
    std::size_t offset = 1;  // where parts[i] starts in path
    for (std::size_t i = 0; i < segs.size(); ++i) {
        if (i >= parts.size()) return false;
        const Seg& s = segs[i];
        if (s.kind == Seg::CatchAll) {
            values.push_back(path.substr(offset));
            return true;
        }
        if (s.kind == Seg::Static && parts[i] != s.text) return false;
        if (s.kind == Seg::Param) {
            if (parts[i].empty() || (s.is_int && !int_segment(parts[i]))) return false;
            values.push_back(path.substr(offset, parts[i].size()));
        }
        offset += parts[i].size() + 1;
    }
    return parts.size() == segs.size();
}

std::vector<int> kinds(const std::vector<Seg>& segs) {
    std::vector<int> k;
    for (const auto& s : segs) k.push_back(s.kind);
    return k;
}

// The entry the router must pick: among those that fit (for `method`, or any when nullopt), the
// one with the smallest kind sequence.
const Entry* reference_find(const std::vector<Entry>& table, std::optional<Method> method, std::string_view path) {
    const Entry* best = nullptr;
    std::vector<std::string_view> values;
    for (const auto& e : table) {
        if (method && e.method != *method) continue;
        if (!fits(e.segs, path, values)) continue;
        if (!best || kinds(e.segs) < kinds(best->segs)) best = &e;
    }
    return best;
}

std::string reference_allow(const std::vector<Entry>& table, const std::vector<Seg>& segs) {
    bool on[kMethodCount] = {};
    for (const auto& e : table)
        if (e.segs == segs) on[static_cast<std::size_t>(e.method)] = true;
    on[static_cast<std::size_t>(Method::Head)] |= on[static_cast<std::size_t>(Method::Get)];
    on[static_cast<std::size_t>(Method::Options)] = true;
    std::string allow;
    for (std::size_t i = 0; i < kMethodCount; ++i) {
        if (!on[i]) continue;
        if (!allow.empty()) allow += ", ";
        allow += method_name(static_cast<Method>(i));
    }
    return allow;
}

// ---- the checks ---------------------------------------------------------------------------------

void check_lookup(const Router& router, const std::vector<Entry>& table, Method method, std::string_view path) {
    RouteMatch match;
    const Router::Result r = router.find(method, path, match);
    CHECK(match.param_count <= kMaxParams);
    if (path.empty() || path[0] != '/') {
        CHECK(r.outcome == Router::Outcome::NotFound);
        return;
    }
    const Entry* exact = reference_find(table, method, path);
    const Entry* any = exact ? exact : reference_find(table, std::nullopt, path);
    if (!any) {
        CHECK(r.outcome == Router::Outcome::NotFound);
        CHECK(match.param_count == 0);
        return;
    }
    CHECK(r.allow == reference_allow(table, any->segs));
    if (!exact) {
        CHECK(r.outcome == Router::Outcome::MethodNotAllowed);
        return;
    }
    CHECK(r.outcome == Router::Outcome::Found);
    CHECK(r.route_id == exact->id);
    std::vector<std::string_view> values;
    CHECK(fits(exact->segs, path, values));
    CHECK(match.param_count == values.size());
    std::size_t p = 0;
    for (const auto& seg : exact->segs) {
        if (seg.kind == Seg::Static) continue;
        const PathParam& param = match.params[p];
        CHECK(param.name == seg.text);
        CHECK(param.value.data() == values[p].data() && param.value.size() == values[p].size());
        CHECK(param.value.data() >= path.data() && param.value.data() + param.value.size() <= path.data() + path.size());
        const ParamType want = seg.kind == Seg::CatchAll ? ParamType::Path : seg.is_int ? ParamType::Int : ParamType::String;
        CHECK(param.type == want);
        ++p;
    }
}

void add_checked(Router& router, std::vector<Entry>& table, Method method, std::string_view pattern) {
    const auto id = static_cast<std::uint32_t>(table.size() + 100);
    try {
        router.add(method, pattern, id);
    } catch (const RouteError&) {
        return;
    }
    const auto segs = parse_pattern(pattern);
    CHECK(segs.has_value());  // accepted, so it must be a well-formed pattern
    for (const auto& e : table) CHECK(!(e.segs == *segs && e.method == method));  // no duplicate
    table.push_back(Entry{*segs, method, id});
}

struct Fixed {
    Router router;
    std::vector<Entry> table;
    Fixed() {
        const std::pair<Method, const char*> routes[] = {
            {Method::Get, "/"},
            {Method::Get, "/users"},
            {Method::Post, "/users"},
            {Method::Get, "/users/me"},
            {Method::Get, "/users/{id:int}"},
            {Method::Put, "/users/{id:int}"},
            {Method::Delete, "/users/{id:int}"},
            {Method::Get, "/users/{id:int}/posts/{post}"},
            {Method::Get, "/users/{id:int}/files/{rest:path}"},
            {Method::Get, "/files/{p:path}"},
            {Method::Get, "/static/{*rest}"},
            {Method::Get, "/a/{x}/c"},
            {Method::Get, "/a/b/{y}"},
            {Method::Patch, "/a/b/d"},
            {Method::Get, "/{lang}/docs"},
            {Method::Get, "/{lang}/docs/{page:str}"},
            {Method::Options, "/cors/{id}"},
            {Method::Head, "/only-head"},
            {Method::Get, "/x/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}/{j}/{k}/{l}/{m}/{n}/{o}/{p:path}"},
            {Method::Get, "//double//slash"},
            {Method::Get, "/trailing/"},
        };
        for (const auto& [m, p] : routes) add_checked(router, table, m, p);
        CHECK(table.size() == std::size(routes));
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    const auto method_of = [](std::uint8_t b) { return static_cast<Method>(b % kMethodCount); };

    // Method names round-trip.
    Method parsed;
    if (parse_method(in, parsed)) CHECK(method_name(parsed) == in);

    if (!(data[0] & 0x80)) {
        static const Fixed fixed;
        check_lookup(fixed.router, fixed.table, method_of(data[0]), in);
        return 0;
    }
    Router router;
    std::vector<Entry> table;
    std::size_t pos = 0;
    for (int lines = 0; lines < 24; ++lines) {
        const std::size_t nl = in.find('\n', pos);
        if (nl == std::string_view::npos) break;
        const std::string_view line = in.substr(pos, nl - pos);
        pos = nl + 1;
        if (!line.empty()) add_checked(router, table, method_of(static_cast<std::uint8_t>(line[0])), line.substr(1));
    }
    const std::string_view path = in.substr(pos);
    for (std::size_t m = 0; m < kMethodCount; ++m) check_lookup(router, table, static_cast<Method>(m), path);
    return 0;
}
