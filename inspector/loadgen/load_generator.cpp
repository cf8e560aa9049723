#include "inspector/loadgen/load_generator.hpp"

#include "inspector/loadgen/client_transport.hpp"
#include "inspector/loadgen/load_worker.hpp"
#include "inspector/loadgen/request_mix.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <barrier>
#include <stdexcept>
#include <thread>

namespace cello::inspector::loadgen {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

std::vector<asio::ip::tcp::endpoint> resolve(const std::string& host, std::uint16_t port, std::string& error) {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    error_code ec;
    const auto results = resolver.resolve(host, std::to_string(port), asio::ip::resolver_base::numeric_service, ec);
    if (ec) {
        error = "cannot resolve " + host + ": " + ec.message();
        return {};
    }
    std::vector<asio::ip::tcp::endpoint> out;
    for (const auto& r : results) out.push_back(r.endpoint());
    if (out.empty()) error = "cannot resolve " + host + ": no addresses";
    return out;
}

#if CELLO_TLS
// The client side of https:// runs: TLS 1.2+, ALPN http/1.1 (h2 for --http2), no certificate
// check and no session cache (each connection a full handshake: what a server's handshake rate
// is measured with).
std::shared_ptr<asio::ssl::context> make_client_tls(bool http2) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    SSL_CTX* c = ctx->native_handle();
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    static constexpr unsigned char kHttp1[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    static constexpr unsigned char kH2[] = {2, 'h', '2'};
    if (http2) SSL_CTX_set_alpn_protos(c, kH2, sizeof kH2);
    else SSL_CTX_set_alpn_protos(c, kHttp1, sizeof kHttp1);
    return ctx;
}
#endif

}  // namespace

struct LoadGenerator::Impl {
    // Runs once all workers have connected: the clock starts for everyone at the same instant.
    struct StartClock {
        Impl* self;
        void operator()() noexcept {
            self->plan.t0 = Clock::now();
            self->plan.end = self->plan.t0 + self->plan.config.duration;
            self->board->set_start(self->plan.t0);
        }
    };

    RunPlan plan;
    SecondCallback on_second;
    std::unique_ptr<ProgressBoard> board;
    std::vector<std::unique_ptr<Worker>> workers;
    std::optional<std::barrier<StartClock>> barrier;
    std::vector<std::thread> threads;
    std::atomic<unsigned> running{0};
    std::atomic<bool> stop_requested{false};
    bool started = false;
    bool joined = false;
    LoadResult result;

    void thread_main(Worker& w) {
        w.connect_all();
        barrier->arrive_and_wait();
        w.run();
        if (running.fetch_sub(1) == 1) board->set_finished();
    }

    void join() {
        if (joined) return;
        for (auto& t : threads) t.join();
        joined = true;
        result.config = plan.config;
        Clock::time_point last = plan.t0;
        for (const auto& w : workers) {
            result.totals.merge(w->totals());
            last = std::max(last, w->finished_at());
            result.stopped_early = result.stopped_early || w->stopped_early();
        }
        result.elapsed_s = std::max(0.0, std::chrono::duration<double>(last - plan.t0).count());
        result.seconds = board->seconds();
    }
};

LoadGenerator::LoadGenerator(LoadConfig config, SecondCallback on_second) : impl_(std::make_unique<Impl>()) {
    impl_->plan.config = std::move(config);
    impl_->on_second = std::move(on_second);
    impl_->result.config = impl_->plan.config;
}

LoadGenerator::~LoadGenerator() {
    if (impl_->started) {
        stop();
        impl_->join();
    }
}

void LoadGenerator::start() {
    auto& m = *impl_;
    if (m.started) throw std::logic_error("LoadGenerator::start called twice");
    auto& plan = m.plan;
    if (auto problem = validate(plan.config); !problem.empty()) throw std::invalid_argument(problem);
    std::string error;
    plan.endpoints = resolve(plan.config.host, plan.config.port, error);
    if (plan.endpoints.empty()) throw std::runtime_error(error);
    plan.requests = serialize_requests(plan.config);
    if (plan.config.http2) plan.http2_requests = http2_requests(plan.config);
    if (plan.config.websocket) plan.message.assign(plan.config.message_size, 'x');
    plan.head = plan.config.method == "HEAD";
#if CELLO_TLS
    if (plan.config.tls) plan.tls = make_client_tls(plan.config.http2);
#endif
    if (plan.config.rate > 0) plan.schedule.emplace(plan.config.rate, plan.config.connections);

    const unsigned n = plan.config.threads;
    m.board = std::make_unique<ProgressBoard>(n, std::chrono::duration<double>(plan.config.duration).count(),
                                              plan.config.rate, m.on_second);
    unsigned first = 0;
    for (unsigned i = 0; i < n; ++i) {
        const unsigned share = plan.config.connections / n + (i < plan.config.connections % n ? 1 : 0);
        m.workers.push_back(std::make_unique<Worker>(plan, *m.board, first, share));
        first += share;
    }
    m.barrier.emplace(static_cast<std::ptrdiff_t>(n), Impl::StartClock{&m});
    m.running = n;
    m.started = true;
    try {
        for (unsigned i = 0; i < n; ++i) m.threads.emplace_back([&m, &w = *m.workers[i]] { m.thread_main(w); });
    } catch (...) {
        // The system refused a thread: release the ones waiting at the start line for it, then stop.
        const auto missing = n - static_cast<unsigned>(m.threads.size());
        m.running -= missing;
        for (unsigned i = 0; i < missing; ++i) m.barrier->arrive_and_drop();
        stop();
        throw;
    }
    if (m.stop_requested) stop();
}

Progress LoadGenerator::progress() const {
    if (!impl_->board) {
        Progress p;
        p.duration_s = std::chrono::duration<double>(impl_->plan.config.duration).count();
        p.target_rate = impl_->plan.config.rate;
        return p;
    }
    return impl_->board->snapshot();
}

void LoadGenerator::stop() noexcept {
    impl_->stop_requested = true;
    if (!impl_->started) return;
    for (auto& w : impl_->workers) w->stop();
}

void LoadGenerator::wait() {
    if (impl_->started) impl_->join();
}

bool LoadGenerator::finished() const noexcept { return impl_->started && impl_->running == 0; }

const LoadResult& LoadGenerator::result() const { return impl_->result; }

std::string probe_connect(const LoadConfig& config, Duration timeout) {
    RunPlan plan;
    plan.config = config;
    std::string error;
    plan.endpoints = resolve(config.host, config.port, error);
    if (plan.endpoints.empty()) return error;
#if CELLO_TLS
    if (config.tls) plan.tls = make_client_tls(config.http2);
#endif
    asio::io_context io;
    ClientTransport transport(io);
    asio::steady_timer timer(io, timeout);
    error_code result = asio::error::timed_out;
    transport.open(plan, [&](error_code ec) {
        result = ec;
        timer.cancel();
    });
    timer.async_wait([&](error_code ec) {
        if (!ec) transport.close();
    });
    io.run();
    const std::string where = config.host + ":" + std::to_string(config.port);
    if (result == asio::error::operation_aborted) return "cannot connect to " + where + ": timed out";
    if (result && result.category() == boost::system::system_category())
        return "cannot connect to " + where + ": " + result.message();
    if (result) return "TLS handshake with " + where + " failed: " + result.message();
    if (config.tls && config.http2 && transport.alpn() != "h2")
        return where + " does not speak HTTP/2 over TLS (ALPN chose " +
               (transport.alpn().empty() ? std::string("nothing") : std::string(transport.alpn())) + ")";
    return {};
}

}  // namespace cello::inspector::loadgen
