#pragma once
// One request and its answer as a tester wants to read them: method, URL, headers
// both ways, what the body was, status, the answer's body (bounded), timing and the
// network error. Clients emit one per request; secrets never get into it.

#include <QByteArray>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QUrl>

#include <utility>

class QNetworkReply;

namespace deso::node {

using HeaderList = QList<std::pair<QByteArray, QByteArray>>;

struct HttpExchange {
    QByteArray method;
    QUrl url;
    HeaderList requestHeaders;   // Authorization / Cookie values are redacted
    QString requestBody;         // a description of what was sent (JWTs redacted), not the bytes
    int status = 0;              // 0: no HTTP answer (see networkError)
    QByteArray reason;
    HeaderList responseHeaders;
    QByteArray responseBody;     // the first kMaxRecordedBody bytes
    bool responseBodyTruncated = false;
    QString networkError;        // empty when the server answered
    qint64 elapsedMs = 0;

    // A transcript in HTTP/1.1 shape:
    //   POST http://127.0.0.1:8089/api/v0/upload-image
    //   Content-Type: ...
    //   <body description>
    //   -> HTTP/1.1 200 OK (40 ms)
    //   Content-Type: application/json
    //   {"ImageURL": ...}
    QString toText() const;
};

inline constexpr qsizetype kMaxRecordedBody = 64 * 1024;

// Builds the record of a finished reply. `responseBody` is what the caller read from it
// (a reply's body can be read only once); `method` is needed because QNAM only keeps
// it for custom verbs.
HttpExchange recordExchange(const QNetworkReply *reply, const QByteArray &method, const QByteArray &responseBody,
                            qint64 elapsedMs, QString requestBody);

// "eyJ...sig" -> "(JWT, 312 characters, not shown)": for request descriptions.
QString redactedToken(const QString &token);

} // namespace deso::node

Q_DECLARE_METATYPE(deso::node::HttpExchange)
