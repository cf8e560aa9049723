#include "bench_runner.hpp"

#include <QMetaObject>

namespace cello::studio {

namespace lg = inspector::loadgen;

namespace {
constexpr int kPollMs = 100;  // how soon the end of a run is noticed
}

BenchRunner::BenchRunner(QObject* parent) : QObject(parent) {
    poll_.setInterval(kPollMs);
    connect(&poll_, &QTimer::timeout, this, &BenchRunner::checkFinished);
}

BenchRunner::~BenchRunner() {
    // Threads first: they post to this object, which must outlive them.
    if (gen_) gen_->stop();
    gen_.reset();
    joinSearch();
}

void BenchRunner::joinSearch() {
    if (search_.joinable()) {
        search_.request_stop();
        search_.join();
    }
}

bool BenchRunner::reachable(const lg::LoadConfig& config, QString& error) {
    // A run against nothing would spend its whole duration counting connect errors: one connect
    // first, at most a second (the target is usually this machine, where a refusal is instant).
    const auto wait = std::min<lg::Duration>(config.timeout, std::chrono::seconds(1));
    const std::string problem = lg::probe_connect(config, wait);
    if (problem.empty()) return true;
    error = tr("%1: nothing was run").arg(QString::fromStdString(problem));
    return false;
}

bool BenchRunner::start(const lg::LoadConfig& config, QString& error) {
    if (running_) {
        error = tr("a run is already going");
        return false;
    }
    joinSearch();  // a finished search's thread
    if (!reachable(config, error)) return false;
    // Called on a generator thread: only copy the sample and post it.
    auto on_second = [this](const lg::SecondSample& s) {
        QMetaObject::invokeMethod(this, [this, s] { Q_EMIT second(s); }, Qt::QueuedConnection);
    };
    auto gen = std::make_unique<lg::LoadGenerator>(config, on_second);
    try {
        gen->start();
    } catch (const std::exception& e) {
        error = QString::fromStdString(e.what());
        return false;
    }
    gen_ = std::move(gen);
    running_ = true;
    poll_.start();
    return true;
}

bool BenchRunner::startCeiling(const lg::LoadConfig& base, const lg::CeilingConfig& config, QString& error) {
    if (running_) {
        error = tr("a run is already going");
        return false;
    }
    if (const auto why = lg::validate(base); !why.empty()) {
        error = QString::fromStdString(why);
        return false;
    }
    if (!reachable(base, error)) return false;
    joinSearch();
    gen_.reset();
    running_ = true;
    search_ = std::jthread([this, base, config](std::stop_token stop) {
        auto on_step = [this](const lg::CeilingStep& s) {
            QMetaObject::invokeMethod(this, [this, s] { Q_EMIT step(s); }, Qt::QueuedConnection);
        };
        try {
            auto result = std::make_shared<lg::CeilingResult>(lg::find_ceiling(base, config, on_step, stop));
            QMetaObject::invokeMethod(
                this,
                [this, result] {
                    running_ = false;
                    Q_EMIT ceilingFinished(*result);
                },
                Qt::QueuedConnection);
        } catch (const std::exception& e) {
            QMetaObject::invokeMethod(
                this,
                [this, why = QString::fromStdString(e.what())] {
                    running_ = false;
                    Q_EMIT failed(why);
                },
                Qt::QueuedConnection);
        }
    });
    return true;
}

void BenchRunner::stop() {
    if (gen_) gen_->stop();
    if (search_.joinable()) search_.request_stop();  // the search ends its current step and returns
}

void BenchRunner::checkFinished() {
    if (!gen_ || !gen_->finished()) return;
    poll_.stop();
    gen_->wait();  // threads have ended: returns at once
    running_ = false;
    Q_EMIT finished(gen_->result());
}

}  // namespace cello::studio
