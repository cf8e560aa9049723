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
        res.error = std::make_unique<HandlerError>(HandlerError{e.what(), {}});
    } catch (...) {
        make_error(res, 500, "unknown error in handler");
        res.error = std::make_unique<HandlerError>(HandlerError{"unknown error in handler", {}});
    }
}

void call_handler(Exchange& ex) {
    if (!ex.time_handler) {
        call_handler(*ex.route, ex.req, ex.res);
        return;
    }
    const auto t0 = std::chrono::steady_clock::now();
    call_handler(*ex.route, ex.req, ex.res);
    ex.handler_time = std::chrono::steady_clock::now() - t0;
}

}  // namespace

namespace {

// Answers from the route table: the handler, or 404 / 405 / automatic OPTIONS.
void answer_by_route(Exchange& ex) {
    Response& res = ex.res;
    const Router::Result& result = ex.routed;
    if (ex.route) {
        call_handler(ex);
        return;
    }
    if (ex.method == kUnknownMethod) {
        // An unknown method on a known path is 405 (with Allow); otherwise 404.
        if (result.outcome == Router::Outcome::NotFound) {
            make_error(res, 404);
        } else {
            make_error(res, 405);
            res.headers.emplace_back("Allow", std::string(result.allow));
        }
        return;
    }
    if (result.outcome == Router::Outcome::MethodNotAllowed) {
        res.headers.emplace_back("Allow", std::string(result.allow));
        if (ex.method == static_cast<std::uint8_t>(Method::Options)) res.status = 204;
        else make_error(res, 405);
        return;
    }
    make_error(res, 404);
}

// The before() hooks from ex.middleware_ran on, then (unless one answered) the route's answer.
void run_chain(Exchange& ex) {
    const auto& chain = ex.table.middleware();
    std::size_t ran = ex.middleware_ran;
    bool answered = false;
    while (!answered && ran < chain.size()) answered = chain[ran++]->before(ex);
    ex.middleware_ran = ran;
    if (!answered) answer_by_route(ex);
    if (!ex.res.pending) finish_dispatch(ex);
}

}  // namespace

bool dispatch(Exchange& ex, DispatchScratch& scratch) {
    Request& req = ex.req;
    const RouteTable& table = ex.table;
    const Router& router = table.router();
    Method method{};
    const bool known = parse_method(req.method, method);
    ex.method = known ? static_cast<std::uint8_t>(method) : kUnknownMethod;
    ex.head_only = known && method == Method::Head;  // every HEAD answer goes without a body

    const bool path_ok = prepare_path(req, ex.res, scratch);
    Router::Result& result = ex.routed;
    if (path_ok) {
        // Unknown methods look for any route on the path, to tell 405 from 404.
        result = router.find(known ? method : Method::Options, req.path, req.match);
        if (!known && result.outcome == Router::Outcome::Found) result.outcome = Router::Outcome::MethodNotAllowed;
        if (result.outcome != Router::Outcome::Found && ex.head_only) {
            RouteMatch get_match;
            const auto get = router.find(Method::Get, req.path, get_match);
            if (get.outcome == Router::Outcome::Found) {
                result = get;
                req.match = get_match;
            }
        }
        if (result.outcome == Router::Outcome::Found) req.match.route = ex.route = &table.route(result.route_id);
    }

    // Middleware run for every request, matched or not; a bad path skips their before() (there is
    // nothing to decide on) but not their after() (logs and metrics still see the 400).
    if (!path_ok) {
        ex.middleware_ran = table.middleware().size();
        finish_dispatch(ex);
    } else {
        ex.middleware_ran = 0;
        run_chain(ex);
    }
    return ex.head_only;
}

void continue_dispatch(Exchange& ex) { run_chain(ex); }

void finish_dispatch(Exchange& ex) {
    const auto& chain = ex.table.middleware();
    for (std::size_t i = ex.middleware_ran; i-- > 0;) chain[i]->after(ex);
}

void abandon_dispatch(Exchange& ex) {
    const auto& chain = ex.table.middleware();
    for (std::size_t i = ex.middleware_ran; i-- > 0;) chain[i]->abandon(ex);
}

}  // namespace cello::engine
