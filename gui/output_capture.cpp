#include "output_capture.hpp"

#include <QMetaObject>

#include <string>

namespace cello::studio {

OutputCapture::OutputCapture(QObject* parent) : QObject(parent) {
    // Without a capture, output still reaches the terminal.
    if (capture_.active()) reader_ = std::thread([this] { pump(); });
}

OutputCapture::~OutputCapture() {
    // A child that inherited stdout may keep the pipe open: stop() wakes the reader all the same.
    capture_.stop();
    if (reader_.joinable()) reader_.join();
}

void OutputCapture::pump() {
    std::string pending;
    char buf[4096];
    while (const std::size_t n = capture_.read(buf, sizeof buf)) {
        capture_.write_original({buf, n});
        pending.append(buf, n);
        std::size_t start = 0;
        QStringList lines;
        for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
            lines << QString::fromUtf8(pending.data() + start, static_cast<qsizetype>(nl - start));
        pending.erase(0, start);
        post(lines);
    }
    if (!pending.empty()) post({QString::fromUtf8(pending.data(), static_cast<qsizetype>(pending.size()))});
}

void OutputCapture::post(const QStringList& lines) {
    if (lines.isEmpty()) return;
    std::lock_guard lock(mutex_);
    pending_ << lines;
    if (const auto extra = pending_.size() - kMaxPendingLines; extra > 0) {
        pending_.remove(0, extra);
        dropped_ += extra;
    }
    if (!posted_) {
        posted_ = true;
        QMetaObject::invokeMethod(this, &OutputCapture::flush, Qt::QueuedConnection);
    }
}

void OutputCapture::flush() {
    QStringList lines;
    qsizetype dropped = 0;
    {
        std::lock_guard lock(mutex_);
        lines.swap(pending_);
        std::swap(dropped, dropped_);
        posted_ = false;
    }
    if (dropped > 0) Q_EMIT line(tr("… %1 lines not shown here (the terminal has them)").arg(dropped));
    if (!lines.isEmpty()) Q_EMIT line(lines.join('\n'));
}

}  // namespace cello::studio
