// The hub between a SnapshotSource and the pages: polls 5 times a second, folds each snapshot into
// an inspector::LiveView, and tells the models once per batch (so the window stays responsive
// however fast requests arrive).
#pragma once

#include "inspector/error_groups.hpp"
#include "inspector/live_view.hpp"
#include "snapshot_source.hpp"

#include <QObject>
#include <QPointer>
#include <QTimer>

namespace cello::studio {

class StudioState : public QObject {
    Q_OBJECT
public:
    static constexpr int kPollMs = 200;

    explicit StudioState(QObject* parent = nullptr);

    void setSource(SnapshotSource* source);  // takes ownership; null detaches
    SnapshotSource* source() const { return source_; }
    const inspector::LiveView& view() const noexcept { return view_; }
    // Every failure of this studio session, grouped; kept across restarts and sources, unlike view().
    const inspector::ErrorGroups& errorGroups() const noexcept { return errors_; }
    void clearErrors();
    // Where framework code lives besides the standard library (the `cello` package's directory).
    void setFrameworkDirs(std::vector<std::string> dirs);
    void setHistogramRoute(std::uint32_t id);
    void pollNow();

Q_SIGNALS:
    // One batch applied: models update from view(); `delta` says what is new.
    void updated(const inspector::LiveView::Delta& delta);
    void reset();                         // a new source, or the server restarted: start over
    void sourceFailed(const QString& why);
    void actionDone(bool ok, const QString& message);
    void errorsChanged();                 // errorGroups() grew, counted more, or was cleared

private:
    void apply(const std::shared_ptr<inspector::Snapshot>& s);

    QPointer<SnapshotSource> source_;
    inspector::LiveView view_;
    inspector::ErrorGroups errors_;
    QTimer timer_;
    bool applying_ = false;  // inside apply(): pages are reading view_
};

}  // namespace cello::studio
