#pragma once
// Small synchronous HTTP helpers for the host tests: QNetworkAccessManager for
// what real clients do, and a raw socket for framing details QNAM hides.

#include <QEventLoop>
#include <QFile>
#include <QHash>
#include <QHttpMultiPart>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>

struct HttpReply {
    int status = 0;
    QByteArray body;
    QHash<QByteArray, QByteArray> headers; // lower-case names
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QByteArray header(const QByteArray &name) const { return headers.value(name.toLower()); }
};

// Waits for `reply` (at most timeoutMs) and collects status, body and headers; the
// reply is deleted later.
inline HttpReply awaitReply(QNetworkReply *reply, int timeoutMs = 20000)
{
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec();
    HttpReply r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.body = reply->readAll();
    r.error = reply->error();
    for (const auto &pair : reply->rawHeaderPairs())
        r.headers.insert(pair.first.toLower(), pair.second);
    reply->deleteLater();
    return r;
}

inline HttpReply httpSend(QNetworkAccessManager &nam, const QByteArray &method, const QUrl &url,
                          const QList<QPair<QByteArray, QByteArray>> &headers = {}, const QByteArray &body = {})
{
    QNetworkRequest request(url);
    for (const auto &h : headers)
        request.setRawHeader(h.first, h.second);
    QNetworkReply *reply = nullptr;
    if (method == "HEAD")
        reply = nam.head(request);
    else if (method == "GET")
        reply = nam.get(request);
    else
        reply = nam.sendCustomRequest(request, method, body);
    return awaitReply(reply);
}

// One part of a multipart/form-data body.
struct FormField {
    QByteArray name;
    QByteArray value;
    QByteArray fileName;    // non-empty: a file part
    QByteArray contentType; // of a file part
};

// POSTs a multipart/form-data body as QHttpMultiPart builds it (upload-image's form).
inline HttpReply httpPostForm(QNetworkAccessManager &nam, const QUrl &url, const QList<FormField> &fields,
                              int timeoutMs = 20000)
{
    auto *multi = new QHttpMultiPart(QHttpMultiPart::FormDataType);
    for (const FormField &f : fields) {
        QHttpPart part;
        QByteArray disposition = "form-data; name=\"" + f.name + '"';
        if (!f.fileName.isEmpty()) {
            disposition += "; filename=\"" + f.fileName + '"';
            if (!f.contentType.isEmpty())
                part.setHeader(QNetworkRequest::ContentTypeHeader, f.contentType);
        }
        part.setHeader(QNetworkRequest::ContentDispositionHeader, disposition);
        part.setBody(f.value);
        multi->append(part);
    }
    QNetworkReply *reply = nam.post(QNetworkRequest(url), multi);
    multi->setParent(reply);
    return awaitReply(reply, timeoutMs);
}

// Sends raw bytes and reads until the server closes (send "Connection: close").
inline QByteArray rawExchange(quint16 port, const QByteArray &bytes, int timeoutMs = 10000)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(timeoutMs))
        return {};
    socket.write(bytes);
    QByteArray out;
    QEventLoop loop;
    QObject::connect(&socket, &QTcpSocket::readyRead, &loop, [&] { out += socket.readAll(); });
    QObject::connect(&socket, &QTcpSocket::disconnected, &loop, &QEventLoop::quit);
    QObject::connect(&socket, &QTcpSocket::errorOccurred, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (socket.state() == QAbstractSocket::ConnectedState)
        loop.exec();
    out += socket.readAll();
    return out;
}

inline QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
