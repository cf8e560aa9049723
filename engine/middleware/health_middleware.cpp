// Health probes (app.enable_health_checks, the original Cello's HealthCheckConfig), answered here
// from the HealthState the app keeps up to date, before any other middleware: no Python, no log
// line, not in /metrics.
//
//   {base}, {base}/             the overall state: 200 when ready, else 503
//   {base}/live, /liveness      200 while the process serves at all (Kubernetes' livenessProbe)
//   {base}/ready, /readiness    200 when started, not draining and every check passing, else 503
//   {base}/startup              200 once the startup hooks have run, else 503
#include "engine/config.hpp"
#include "engine/health/health_state.hpp"
#include "engine/json_escape.hpp"
#include "engine/middleware.hpp"
#include "engine/status.hpp"

#include <chrono>
#include <stdexcept>
#include <string>

namespace cello::engine {

namespace {

enum class Probe { Overall, Live, Ready, Startup };

class HealthMiddleware final : public Middleware {
public:
    HealthMiddleware(std::string base, bool details, std::string version, std::shared_ptr<HealthState> state)
        : base_(std::move(base)), details_(details), version_(std::move(version)), state_(std::move(state)) {}

    bool before(Exchange& ex) override {
        const std::string_view path = ex.req.path;
        if (!path.starts_with(base_)) return false;
        const std::string_view rest = path.substr(base_.size());
        Probe probe;
        if (rest.empty() || rest == "/") probe = Probe::Overall;
        else if (rest == "/live" || rest == "/liveness") probe = Probe::Live;
        else if (rest == "/ready" || rest == "/readiness") probe = Probe::Ready;
        else if (rest == "/startup") probe = Probe::Startup;
        else return false;
        ex.unobserved = true;
        Response& res = ex.res;
        const auto m = static_cast<Method>(ex.method);
        if (m != Method::Get && m != Method::Head) {
            make_error(res, 405);
            res.headers.emplace_back("Allow", "GET, HEAD");
            return true;
        }
        answer(probe, state_->view(), res);
        return true;
    }

private:
    void answer(Probe probe, const HealthState::View& v, Response& res) const {
        bool ok = true;
        const char* status = "ok";
        const char* reason = nullptr;
        switch (probe) {
            case Probe::Live: status = "alive"; break;
            case Probe::Startup:
                ok = v.started;
                status = ok ? "started" : "starting";
                break;
            case Probe::Ready:
            case Probe::Overall:
                ok = v.ready();
                status = ok ? (probe == Probe::Ready ? "ready" : "ok") : "unavailable";
                reason = !v.started ? "starting" : v.draining ? "draining" : ok ? nullptr : "a check is failing";
                break;
        }
        res.status = ok ? 200 : 503;
        res.content_type = "application/json";
        res.headers.emplace_back("Cache-Control", "no-store");
        std::string& b = res.body;
        b = "{\"status\":";
        append_json_string(b, status);
        if (reason) {
            b += ",\"reason\":";
            append_json_string(b, reason);
        }
        if (!version_.empty()) {
            b += ",\"version\":";
            append_json_string(b, version_);
        }
        if (details_ && probe != Probe::Live) {
            const auto now = std::chrono::steady_clock::now();
            b += ",\"checks\":{";
            bool first = true;
            for (const auto& c : v.checks) {
                if (!first) b += ',';
                first = false;
                append_json_string(b, c.name);
                b += ":{\"status\":";
                append_json_string(b, c.ok ? "ok" : "failing");
                if (!c.ok) {
                    b += ",\"message\":";
                    append_json_string(b, c.message);
                }
                b += ",\"checked_seconds_ago\":";
                b += std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - c.at).count());
                b += '}';
            }
            b += '}';
        }
        b += '}';
    }

    std::string base_;
    bool details_;
    std::string version_;
    std::shared_ptr<HealthState> state_;
};

}  // namespace

std::shared_ptr<Middleware> make_health_middleware(const Config& config) {
    std::string base = config.get_string("base_path", "/health");
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    if (base.empty() || base.front() != '/' || base == "/")
        throw std::invalid_argument("health checks: base_path must be a path like /health");
    return std::make_shared<HealthMiddleware>(base, config.get_bool("include_details", true),
                                              config.get_string("version", ""),
                                              HealthState::named(config.get_string("state", "default")));
}

}  // namespace cello::engine
