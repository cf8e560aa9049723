#include "engine/dispatch.hpp"

#include "engine/status.hpp"
#include "engine/url.hpp"

#include <exception>

namespace cello::engine {

namespace {

// Splits the target and decodes the path. Returns false after writing a 400 into `res`.
bool prepare_path(Request& req, Response& res, DispatchScratch& scratch) {
    std::string_view target = req.target;
    // absolute-form (RFC 9112 3.2.2), which servers must accept: keep only the path and query.
    for (std::string_view scheme : {"http://", "https://"}) {
        if (target.size() > scheme.size() && iequals(target.substr(0, scheme.size()), scheme)) {
            const std::size_t slash = target.find_first_of("/?", scheme.size());
            target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
            if (!target.empty() && target.front() == '?') {
                make_error(res, 400, "absolute-form target without a path");
                return false;
            }
            break;
        }
    }
    if (target.empty() || target.front() != '/') {
        make_error(res, 400, "request target must be an absolute path");
        return false;
    }
    const std::size_t q = target.find('?');
    req.raw_path = target.substr(0, q);
    req.query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    if (req.raw_path.find('%') == std::string_view::npos) {
        req.path = req.raw_path;
    } else {
        if (!percent_decode(req.raw_path, scratch.decoded_path)) {
            make_error(res, 400, "bad percent-encoding in path");
            return false;
        }
        if (scratch.decoded_path.find('\0') != std::string::npos) {
            make_error(res, 400, "NUL byte in path");
            return false;
        }
        req.path = scratch.decoded_path;
    }
    if (!valid_utf8(req.path)) {
        make_error(res, 400, "path is not valid UTF-8");
        return false;
    }
    return true;
}

void call_handler(const Route& route, const Request& req, Response& res) {
    try {
        route.handler->handle(req, res);
    } catch (const std::exception& e) {
        make_error(res, 500, e.what());
    } catch (...) {
        make_error(res, 500, "unknown error in handler");
    }
}

}  // namespace

bool dispatch(const RouteTable& table, Request& req, Response& res, DispatchScratch& scratch) {
    if (!prepare_path(req, res, scratch)) return false;

    Method method{};
    const bool known = parse_method(req.method, method);
    const Router& router = table.router();
    if (!known) {
        // An unknown method on a known path is 405 (with Allow); otherwise 404.
        const auto any = router.find(Method::Options, req.path, req.match);
        if (any.outcome == Router::Outcome::NotFound) {
            make_error(res, 404);
        } else {
            make_error(res, 405);
            res.headers.emplace_back("Allow", std::string(any.allow));
        }
        return false;
    }

    const bool head = method == Method::Head;  // every HEAD answer goes without a body
    auto result = router.find(method, req.path, req.match);
    if (result.outcome != Router::Outcome::Found && head) {
        RouteMatch get_match;
        const auto get = router.find(Method::Get, req.path, get_match);
        if (get.outcome == Router::Outcome::Found) {
            result = get;
            req.match = get_match;
        }
    }
    switch (result.outcome) {
        case Router::Outcome::Found:
            req.match.route = &table.route(result.route_id);
            call_handler(*req.match.route, req, res);
            return head;
        case Router::Outcome::MethodNotAllowed:
            if (method == Method::Options) {
                res.status = 204;
                res.headers.emplace_back("Allow", std::string(result.allow));
                return false;
            }
            make_error(res, 405);
            res.headers.emplace_back("Allow", std::string(result.allow));
            return head;
        case Router::Outcome::NotFound:
            make_error(res, 404);
            return head;
    }
    return false;
}

}  // namespace cello::engine
