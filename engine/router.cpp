#include "engine/router.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace cello::engine {

namespace {

constexpr std::array<std::string_view, kMethodCount> kMethodNames = {
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

constexpr std::int64_t kNoRoute = -1;

bool is_identifier(std::string_view s) {
    if (s.empty()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        const bool digit = c >= '0' && c <= '9';
        if (!alpha && !(digit && i > 0)) return false;
    }
    return true;
}

// One segment of a pattern, parsed.
struct PatternSegment {
    enum class Kind { Static, Param, CatchAll } kind = Kind::Static;
    std::string_view text;  // static text or parameter name
    ParamType type = ParamType::String;
};

std::vector<PatternSegment> parse_pattern(std::string_view pattern) {
    auto fail = [&](std::string_view why) -> RouteError {
        return RouteError("invalid route pattern '" + std::string(pattern) + "': " + std::string(why));
    };
    if (pattern.empty() || pattern.front() != '/') throw fail("must start with '/'");
    std::vector<PatternSegment> out;
    std::vector<std::string_view> names;
    std::size_t pos = 1;
    while (true) {
        const std::size_t slash = pattern.find('/', pos);
        const std::string_view seg =
            pattern.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
        PatternSegment ps;
        if (!seg.empty() && seg.front() == '{') {
            if (seg.back() != '}' || seg.size() < 3) throw fail("unterminated or empty '{...}'");
            std::string_view inner = seg.substr(1, seg.size() - 2);
            if (inner.find_first_of("{}") != std::string_view::npos) throw fail("nested braces");
            ps.kind = PatternSegment::Kind::Param;
            if (inner.front() == '*') {
                ps.kind = PatternSegment::Kind::CatchAll;
                ps.type = ParamType::Path;
                inner.remove_prefix(1);
            } else if (const auto colon = inner.find(':'); colon != std::string_view::npos) {
                const std::string_view type = inner.substr(colon + 1);
                inner = inner.substr(0, colon);
                if (type == "int") ps.type = ParamType::Int;
                else if (type == "str") ps.type = ParamType::String;
                else if (type == "path") {
                    ps.kind = PatternSegment::Kind::CatchAll;
                    ps.type = ParamType::Path;
                } else throw fail("unknown parameter type '" + std::string(type) + "' (use int, str or path)");
            }
            if (!is_identifier(inner)) throw fail("parameter name '" + std::string(inner) + "' is not an identifier");
            if (std::find(names.begin(), names.end(), inner) != names.end())
                throw fail("duplicate parameter '" + std::string(inner) + "'");
            names.push_back(inner);
            ps.text = inner;
        } else {
            if (seg.find_first_of("{}") != std::string_view::npos)
                throw fail("a parameter must be a whole segment");
            ps.text = seg;
        }
        if (ps.kind == PatternSegment::Kind::CatchAll && slash != std::string_view::npos)
            throw fail("a catch-all parameter must be the last segment");
        out.push_back(ps);
        if (slash == std::string_view::npos) break;
        pos = slash + 1;
    }
    if (names.size() > kMaxParams) throw fail("too many parameters");
    return out;
}

}  // namespace

bool parse_method(std::string_view name, Method& out) noexcept {
    for (std::size_t i = 0; i < kMethodCount; ++i) {
        if (kMethodNames[i] == name) {
            out = static_cast<Method>(i);
            return true;
        }
    }
    return false;
}

std::string_view method_name(Method m) noexcept { return kMethodNames[static_cast<std::size_t>(m)]; }

bool parse_int_param(std::string_view segment, std::int64_t& value) noexcept {
    // from_chars alone would also take a leading '-'; the rule is digits only.
    if (segment.empty() || !std::all_of(segment.begin(), segment.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    const auto [end, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), value);
    return ec == std::errc{} && end == segment.data() + segment.size();  // out of range: no match
}

struct Router::Node {
    std::string segment;                          // static text (for static children)
    std::vector<std::unique_ptr<Node>> statics;   // sorted by segment
    std::unique_ptr<Node> param;
    std::string param_name;
    ParamType param_type = ParamType::String;
    std::unique_ptr<Node> catchall;
    std::string catchall_name;
    std::array<std::int64_t, kMethodCount> routes;
    std::string allow;  // Allow header for this node, rebuilt on every add

    Node() { routes.fill(kNoRoute); }

    bool has_routes() const {
        return std::any_of(routes.begin(), routes.end(), [](auto r) { return r != kNoRoute; });
    }

    const Node* find_static(std::string_view seg) const {
        auto it = std::lower_bound(statics.begin(), statics.end(), seg,
                                   [](const std::unique_ptr<Node>& n, std::string_view s) { return n->segment < s; });
        return (it != statics.end() && (*it)->segment == seg) ? it->get() : nullptr;
    }

    Node& static_child(std::string_view seg) {
        auto it = std::lower_bound(statics.begin(), statics.end(), seg,
                                   [](const std::unique_ptr<Node>& n, std::string_view s) { return n->segment < s; });
        if (it != statics.end() && (*it)->segment == seg) return **it;
        auto node = std::make_unique<Node>();
        node->segment = std::string(seg);
        return **statics.insert(it, std::move(node));
    }

    void rebuild_allow() {
        allow.clear();
        for (std::size_t i = 0; i < kMethodCount; ++i) {
            const auto m = static_cast<Method>(i);
            bool on = routes[i] != kNoRoute;
            if (m == Method::Head) on = on || routes[static_cast<std::size_t>(Method::Get)] != kNoRoute;
            if (m == Method::Options) on = true;  // answered automatically when not registered
            if (!on) continue;
            if (!allow.empty()) allow += ", ";
            allow += kMethodNames[i];
        }
    }
};

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

void Router::add(Method method, std::string_view pattern, std::uint32_t route_id) {
    const auto segments = parse_pattern(pattern);
    auto conflict = [&](const std::string& why) {
        return RouteError("route pattern '" + std::string(pattern) + "' conflicts with an existing route: " + why);
    };
    // Validate the whole walk before mutating, so a rejected pattern leaves the tree untouched.
    const Node* probe = root_.get();
    for (const auto& seg : segments) {
        if (!probe) break;
        switch (seg.kind) {
            case PatternSegment::Kind::Static: probe = probe->find_static(seg.text); break;
            case PatternSegment::Kind::Param:
                if (probe->param && (probe->param_name != seg.text || probe->param_type != seg.type))
                    throw conflict("parameter '{" + std::string(seg.text) + "}' where '{" + probe->param_name +
                                   "}' is already registered with another name or type");
                probe = probe->param.get();
                break;
            case PatternSegment::Kind::CatchAll:
                if (probe->catchall && probe->catchall_name != seg.text)
                    throw conflict("catch-all '{" + std::string(seg.text) + ":path}' where '{" +
                                   probe->catchall_name + ":path}' is already registered");
                probe = probe->catchall.get();
                break;
        }
    }
    if (probe && probe->routes[static_cast<std::size_t>(method)] != kNoRoute)
        throw conflict(std::string(method_name(method)) + " is already registered for this path");

    Node* node = root_.get();
    for (const auto& seg : segments) {
        switch (seg.kind) {
            case PatternSegment::Kind::Static: node = &node->static_child(seg.text); break;
            case PatternSegment::Kind::Param:
                if (!node->param) {
                    node->param = std::make_unique<Node>();
                    node->param_name = std::string(seg.text);
                    node->param_type = seg.type;
                }
                node = node->param.get();
                break;
            case PatternSegment::Kind::CatchAll:
                if (!node->catchall) {
                    node->catchall = std::make_unique<Node>();
                    node->catchall_name = std::string(seg.text);
                }
                node = node->catchall.get();
                break;
        }
    }
    node->routes[static_cast<std::size_t>(method)] = route_id;
    node->rebuild_allow();
}

namespace {

bool is_int_param(std::string_view seg) noexcept {
    std::int64_t unused = 0;
    return parse_int_param(seg, unused);
}

// Depth-first search in precedence order. `pos` is where the next segment starts, or npos when
// the whole path has been consumed. `method_index` < 0 accepts any node with routes.
template <class Node>
const Node* match_node(const Node* node, std::string_view path, std::size_t pos, int method_index,
                       RouteMatch& m) {
    if (pos == std::string_view::npos) {
        if (method_index < 0) return node->has_routes() ? node : nullptr;
        return node->routes[static_cast<std::size_t>(method_index)] != kNoRoute ? node : nullptr;
    }
    const std::size_t slash = path.find('/', pos);
    const std::string_view seg =
        path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    const std::size_t next = slash == std::string_view::npos ? std::string_view::npos : slash + 1;

    if (const Node* child = node->find_static(seg)) {
        if (const Node* found = match_node(child, path, next, method_index, m)) return found;
    }
    if (node->param && !seg.empty() && m.param_count < kMaxParams &&
        (node->param_type != ParamType::Int || is_int_param(seg))) {
        const std::size_t saved = m.param_count;
        m.params[m.param_count++] = PathParam{node->param_name, seg, node->param_type};
        if (const Node* found = match_node(node->param.get(), path, next, method_index, m)) return found;
        m.param_count = saved;
    }
    if (node->catchall && m.param_count < kMaxParams) {
        const Node* leaf = node->catchall.get();
        const bool ok = method_index < 0 ? leaf->has_routes()
                                         : leaf->routes[static_cast<std::size_t>(method_index)] != kNoRoute;
        if (ok) {
            m.params[m.param_count++] = PathParam{node->catchall_name, path.substr(pos), ParamType::Path};
            return leaf;
        }
    }
    return nullptr;
}

}  // namespace

Router::Result Router::find(Method method, std::string_view path, RouteMatch& match) const {
    Result r;
    if (path.empty() || path.front() != '/') return r;
    match.param_count = 0;
    const int index = static_cast<int>(method);
    if (const Node* n = match_node(root_.get(), path, 1, index, match)) {
        r.outcome = Outcome::Found;
        r.route_id = static_cast<std::uint32_t>(n->routes[static_cast<std::size_t>(index)]);
        r.allow = n->allow;
        return r;
    }
    match.param_count = 0;
    if (const Node* n = match_node(root_.get(), path, 1, -1, match)) {
        r.outcome = Outcome::MethodNotAllowed;
        r.allow = n->allow;
        return r;
    }
    match.param_count = 0;
    return r;
}

}  // namespace cello::engine
