// Runs one benchmark (or a ceiling search) off the GUI thread and reports back on it: the load
// generator's threads post each completed second, a short timer notices the end, and a ceiling
// search runs on a worker thread with a stop token. Every signal is emitted on the GUI thread.
#pragma once

#include "inspector/loadgen/ceiling.hpp"
#include "inspector/loadgen/load_generator.hpp"

#include <QObject>
#include <QTimer>

#include <memory>
#include <thread>

namespace cello::studio {

class BenchRunner final : public QObject {
    Q_OBJECT
public:
    explicit BenchRunner(QObject* parent = nullptr);
    ~BenchRunner() override;  // stops a run still going and joins its threads

    // Starts at once and returns; false with the reason in `error` (an invalid config, a host that
    // does not resolve, a run already going).
    bool start(const inspector::loadgen::LoadConfig& config, QString& error);
    bool startCeiling(const inspector::loadgen::LoadConfig& base, const inspector::loadgen::CeilingConfig& config,
                      QString& error);
    void stop();  // the run ends within milliseconds; finished()/ceilingFinished() still follow
    bool running() const noexcept { return running_; }

Q_SIGNALS:
    void second(const inspector::loadgen::SecondSample& sample);
    void step(const inspector::loadgen::CeilingStep& step);
    void finished(const inspector::loadgen::LoadResult& result);
    void ceilingFinished(const inspector::loadgen::CeilingResult& result);
    void failed(const QString& why);  // the ceiling search could not run

private:
    bool reachable(const inspector::loadgen::LoadConfig& config, QString& error);
    void checkFinished();
    void joinSearch();

    std::unique_ptr<inspector::loadgen::LoadGenerator> gen_;
    std::jthread search_;
    QTimer poll_;
    bool running_ = false;
};

}  // namespace cello::studio
