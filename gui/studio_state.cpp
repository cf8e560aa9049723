#include "studio_state.hpp"

#include <utility>

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
    // Queued: this is often called from a page's reaction to updated(), and a synchronous poll
    // there would change the view under the pages still reading it.
    QMetaObject::invokeMethod(this, &StudioState::pollNow, Qt::QueuedConnection);
}

void StudioState::pollNow() {
    if (applying_) return;  // the same reason: never replace the view while pages read it
    if (source_) source_->poll(view_.next_query());
}

void StudioState::apply(const std::shared_ptr<inspector::Snapshot>& s) {
    if (sender() != source_) return;  // a late answer from a source already replaced
    applying_ = true;
    const auto before = std::make_pair(errors_.total(), errors_.unrecorded());
    errors_.add_from(s->started_ns, s->errors, s->dropped_errors);
    const bool errors_changed = before != std::make_pair(errors_.total(), errors_.unrecorded());
    const auto delta = view_.apply(std::move(*s));
    if (delta.restarted) Q_EMIT reset();
    Q_EMIT updated(delta);
    if (errors_changed) Q_EMIT errorsChanged();
    applying_ = false;
}

void StudioState::clearErrors() {
    errors_.clear();
    Q_EMIT errorsChanged();
}

void StudioState::setFrameworkDirs(std::vector<std::string> dirs) {
    errors_ = inspector::ErrorGroups(std::move(dirs));
    Q_EMIT errorsChanged();
}

}  // namespace cello::studio
