#include "snapshot_source.hpp"

#include "inspector/snapshot_json.hpp"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QUrlQuery>

namespace cello::studio {

LocalSource::LocalSource(std::shared_ptr<inspector::Inspector> inspector, QString description, QObject* parent)
    : SnapshotSource(parent), inspector_(std::move(inspector)), description_(std::move(description)) {}

void LocalSource::poll(const inspector::SnapshotQuery& q) {
    Q_EMIT snapshotReady(std::make_shared<inspector::Snapshot>(inspector_->snapshot(q)));
}

void LocalSource::invalidateTags(const QStringList& tags) {
    std::vector<std::string> list;
    for (const auto& t : tags) list.push_back(t.toStdString());
    const auto n = inspector_->invalidate_tags(list);
    Q_EMIT actionDone(true, tr("%n cache entries invalidated", nullptr, static_cast<int>(n)));
}

void LocalSource::reload() {
    std::string message;
    const bool ok = inspector_->reload(message);  // runs the Python reload (takes the GIL)
    Q_EMIT actionDone(ok, QString::fromStdString(message));
}

RemoteSource::RemoteSource(QUrl base, QString token, QObject* parent)
    : SnapshotSource(parent), base_(std::move(base)), token_(std::move(token)), net_(new QNetworkAccessManager(this)) {
    if (base_.path().endsWith('/')) base_.setPath(base_.path().chopped(1));
}

namespace {
QNetworkRequest authorised(QUrl url, const QString& token) {
    QNetworkRequest req(url);
    req.setRawHeader("Authorization", "Bearer " + token.toUtf8());
    req.setTransferTimeout(5000);
    return req;
}
}  // namespace

void RemoteSource::probe(const QUrl& base, const QString& token, QObject* context,
                         std::function<void(bool ok, const QString& why)> done) {
    auto* net = new QNetworkAccessManager(context);
    QUrl url = base;
    if (url.path().endsWith('/')) url.setPath(url.path().chopped(1));
    QNetworkReply* reply = net->get(authorised(url, token));
    QObject::connect(reply, &QNetworkReply::finished, context, [net, reply, done = std::move(done)] {
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QString reason = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
        const bool ok = reply->error() == QNetworkReply::NoError && status == 200;
        QString why;
        if (!ok) why = status ? QString("%1 %2").arg(status).arg(reason).trimmed() : reply->errorString();
        if (status == 401) why += tr(" (wrong token?)");
        reply->deleteLater();
        net->deleteLater();
        done(ok, why);
    });
}

void RemoteSource::poll(const inspector::SnapshotQuery& q) {
    if (pending_) return;
    pending_ = true;
    QUrl url = base_;
    url.setPath(base_.path() + "/snapshot");
    QUrlQuery query;
    query.addQueryItem("requests_since", QString::number(q.requests_since));
    query.addQueryItem("errors_since", QString::number(q.errors_since));
    query.addQueryItem("reloads_since", QString::number(q.reloads_since));
    query.addQueryItem("max_requests", QString::number(q.max_requests));
    query.addQueryItem("series", QString::number(q.series_seconds));
    if (q.with_histogram) query.addQueryItem("histogram", QString::number(q.histogram_route));
    url.setQuery(query);
    QNetworkReply* reply = net_->get(authorised(url, token_));
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        pending_ = false;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (reply->error() != QNetworkReply::NoError && status == 0) {
            Q_EMIT failed(reply->errorString());
            return;
        }
        if (status == 401) {
            Q_EMIT failed(tr("the inspector refused the token (401)"));
            return;
        }
        try {
            Q_EMIT snapshotReady(std::make_shared<inspector::Snapshot>(
                inspector::snapshot_from_json(reply->readAll().toStdString())));
        } catch (const std::exception& e) {
            Q_EMIT failed(QString::fromStdString(e.what()));
        }
    });
}

void RemoteSource::post(const QString& path, const QByteArray& body) {
    QUrl url = base_;
    url.setPath(base_.path() + path);
    QNetworkRequest req = authorised(url, token_);
    req.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    QNetworkReply* reply = net_->post(req, body);
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        const QJsonObject o = QJsonDocument::fromJson(reply->readAll()).object();
        const bool ok = reply->error() == QNetworkReply::NoError;
        QString message = o.value("message").toString(o.value("detail").toString(reply->errorString()));
        if (o.contains("invalidated"))
            message = tr("%n cache entries invalidated", nullptr, o.value("invalidated").toInt());
        Q_EMIT actionDone(ok && o.value("ok").toBool(true), message);
    });
}

void RemoteSource::invalidateTags(const QStringList& tags) {
    post("/cache/invalidate", QJsonDocument(QJsonObject{{"tags", QJsonArray::fromStringList(tags)}}).toJson());
}

void RemoteSource::reload() { post("/reload", {}); }

}  // namespace cello::studio
