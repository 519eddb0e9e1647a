#pragma once
// Sends one request whose body is a window of a file (a tus PATCH, or a creation
// POST with its first chunk), maybe framed by bytes before and after it (a
// multipart form around the file), over a plain TCP connection on a worker thread,
// and reads the answer. The file's bytes go to the socket with sendfile, 4 MiB at a time.
//
// Why not QNetworkAccessManager: it runs HTTP on its own thread and forwards a
// QIODevice body to it in small pieces through queued calls, which capped the
// uploader at about a quarter of what a loopback host takes (issue 15). It stays
// in use for everything else, and for bodies whenever this sender cannot go:
// https, or an application proxy (see canSend()).

#include "node/httpexchange.h"

#include <QByteArray>
#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QTimer>
#include <QUrl>

#include <memory>

namespace deso::tus {

// An HTTP answer as the uploader reads it, whether it came through this sender or QNAM.
struct HttpAnswer {
    int status = 0;             // 0: no HTTP answer (networkError says why)
    QByteArray reason;
    node::HeaderList headers;   // as received
    QByteArray body;            // at most node::kMaxRecordedBody bytes
    QString networkError;       // empty when an answer arrived
    bool fileUnreadable = false; // the body could not be read from the file (not a network error)

    bool hasHeader(QByteArrayView name) const;
    QByteArray header(QByteArrayView name) const; // first one, name case-insensitive; null if absent
    // The exchange a tester's log shows for this answer to the request described.
    node::HttpExchange toExchange(const QByteArray &method, const QUrl &url, const node::HeaderList &requestHeaders,
                                  const QString &requestBody, qint64 elapsedMs) const;
};

class SocketPatchSender : public QObject {
    Q_OBJECT
public:
    // True for http:// URLs that QNAM would reach without a proxy.
    static bool canSend(const QUrl &url);

    // `headers` go as given (Host, Content-Length and Connection are added).
    SocketPatchSender(QByteArray method, QUrl url, node::HeaderList headers, QString filePath, qint64 offset,
                      qint64 length, int stallTimeoutMs, QObject *parent = nullptr);
    ~SocketPatchSender() override; // aborts a request still running

    // The body is `prefix`, the file's window, then `suffix` (call before start()).
    void setBodyFraming(QByteArray prefix, QByteArray suffix);

    void start();
    // Ends the request at once (the worker sees its socket shut down); finished() is not emitted.
    void abort();

signals:
    void uploadProgress(qint64 bytesSent, qint64 bytesTotal);
    void finished(const deso::tus::HttpAnswer &answer);

public:
    struct Shared; // what the worker thread and this object share (socket, counters)

private:
    QByteArray m_method;
    QUrl m_url;
    node::HeaderList m_headers;
    QString m_filePath;
    qint64 m_offset;
    qint64 m_length;
    QByteArray m_bodyPrefix;
    QByteArray m_bodySuffix;
    int m_stallTimeoutMs;
    std::shared_ptr<Shared> m_shared;
    QFutureWatcher<HttpAnswer> m_watcher;
    QTimer m_progressTimer;
    qint64 m_reportedBytes = -1;
};

} // namespace deso::tus

Q_DECLARE_METATYPE(deso::tus::HttpAnswer)
