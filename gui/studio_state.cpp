#include "studio_state.hpp"

namespace cello::studio {

StudioState::StudioState(QObject* parent) : QObject(parent) {
    timer_.setInterval(kPollMs);
    connect(&timer_, &QTimer::timeout, this, &StudioState::pollNow);
}

void StudioState::setSource(SnapshotSource* source) {
    if (source_) source_->deleteLater();
    source_ = source;
    view_.clear();
    Q_EMIT reset();
    if (!source) {
        timer_.stop();
        return;
    }
    source->setParent(this);
    connect(source, &SnapshotSource::snapshotReady, this, &StudioState::apply);
    connect(source, &SnapshotSource::failed, this, &StudioState::sourceFailed);
    connect(source, &SnapshotSource::actionDone, this, &StudioState::actionDone);
    timer_.start();
    pollNow();
}

void StudioState::setHistogramRoute(std::uint32_t id) {
    view_.set_histogram_route(id);
    pollNow();
}

void StudioState::pollNow() {
    if (source_) source_->poll(view_.next_query());
}

void StudioState::apply(const std::shared_ptr<inspector::Snapshot>& s) {
    if (sender() != source_) return;  // a late answer from a source already replaced
    const auto delta = view_.apply(std::move(*s));
    if (delta.restarted) Q_EMIT reset();
    Q_EMIT updated(delta);
}

}  // namespace cello::studio
