// Where the studio's numbers come from: the inspector of an app served in this process, or a
// headless server's inspector API (`--inspect`, URL + token). Both deliver inspector::Snapshots.
#pragma once

#include "inspector/inspector.hpp"
#include "inspector/snapshot.hpp"

#include <QObject>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <functional>
#include <memory>

class QNetworkAccessManager;

namespace cello::studio {

class SnapshotSource : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    // Asks for a snapshot; the answer arrives as snapshotReady() (or failed()). At most one request
    // is outstanding: a poll while one is pending is skipped.
    virtual void poll(const inspector::SnapshotQuery& q) = 0;
    virtual void invalidateTags(const QStringList& tags) = 0;  // answered by actionDone()
    virtual void reload() = 0;                                 // answered by actionDone()
    virtual QString describe() const = 0;

Q_SIGNALS:
    void snapshotReady(std::shared_ptr<inspector::Snapshot> snapshot);
    void failed(const QString& why);
    void actionDone(bool ok, const QString& message);
};

class LocalSource final : public SnapshotSource {
    Q_OBJECT
public:
    LocalSource(std::shared_ptr<inspector::Inspector> inspector, QString description, QObject* parent = nullptr);
    void poll(const inspector::SnapshotQuery& q) override;
    void invalidateTags(const QStringList& tags) override;
    void reload() override;
    QString describe() const override { return description_; }

private:
    std::shared_ptr<inspector::Inspector> inspector_;
    QString description_;
};

class RemoteSource final : public SnapshotSource {
    Q_OBJECT
public:
    // `base`: the API root as printed by the server, e.g. http://127.0.0.1:9400/inspect/v1
    RemoteSource(QUrl base, QString token, QObject* parent = nullptr);
    // Whether `base` answers with `token`: `done(ok, why)` is called once, later, unless `context`
    // is gone by then. `why` names the HTTP status ("401 Unauthorized") or the network error.
    static void probe(const QUrl& base, const QString& token, QObject* context,
                      std::function<void(bool ok, const QString& why)> done);
    void poll(const inspector::SnapshotQuery& q) override;
    void invalidateTags(const QStringList& tags) override;
    void reload() override;
    QString describe() const override { return base_.toString(); }

private:
    void post(const QString& path, const QByteArray& body);

    QUrl base_;
    QString token_;
    QNetworkAccessManager* net_;
    bool pending_ = false;
};

}  // namespace cello::studio
