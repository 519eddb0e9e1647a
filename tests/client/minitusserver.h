#pragma once
// A minimal, independent tus 1.0.0 server for the client tests, written from the protocol
// text (not from the project's host): creation at /api/v0/upload-video as a node answers
// it, HEAD / PATCH / DELETE on /tus/<id>, OPTIONS with configurable extensions, and
// get-video-status. It exists to test the client against a second implementation and to
// let a test choose what the server announces.

#include "testfiles.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QJsonObject>
#include <QMap>
#include <QRandomGenerator>
#include <QTemporaryDir>

class MiniTusServer {
public:
    struct Upload {
        qint64 length = 0;
        qint64 offset = 0;
        QByteArray metadata;
        int statusPolls = 0;
    };

    QStringList extensions = {QStringLiteral("creation"), QStringLiteral("termination")};
    QStringList checksumAlgorithms; // announced when "checksum" is in extensions
    int pollsUntilReady = 3;
    QMap<QByteArray, int> requests;  // by method
    int checksumsVerified = 0;
    QByteArrayList checksumAlgorithmsUsed; // one per verified PATCH
    // Statuses to answer the next PATCHes with (body discarded), e.g. {503, 423}.
    QList<int> patchFailures;

    bool start()
    {
        using Method = QHttpServerRequest::Method;
        m_server.route(QStringLiteral("/api/v0/upload-video"), [this](const QHttpServerRequest &req) {
            ++requests[methodName(req)];
            if (req.method() == Method::Options)
                return options();
            if (req.method() != Method::Post)
                return QHttpServerResponse(QHttpServerResponse::StatusCode::MethodNotAllowed);
            return create(req);
        });
        m_server.route(QStringLiteral("/tus/<arg>"), [this](const QString &id, const QHttpServerRequest &req) {
            ++requests[methodName(req)];
            if (!m_uploads.contains(id))
                return QHttpServerResponse(QHttpServerResponse::StatusCode::NotFound);
            switch (req.method()) {
            case Method::Head: return head(id);
            case Method::Patch: return patch(id, req);
            case Method::Delete: {
                m_uploads.remove(id);
                QFile::remove(filePath(id));
                return tusResponse(QHttpServerResponse::StatusCode::NoContent, id);
            }
            case Method::Options: return options();
            default: return QHttpServerResponse(QHttpServerResponse::StatusCode::MethodNotAllowed);
            }
        });
        m_server.route(QStringLiteral("/api/v0/get-video-status/<arg>"), [this](const QString &id) {
            if (!m_uploads.contains(id))
                return QHttpServerResponse(QJsonObject{{QStringLiteral("error"), QStringLiteral("Video not found.")}},
                                           QHttpServerResponse::StatusCode::BadRequest);
            Upload &u = m_uploads[id];
            const bool complete = u.offset == u.length;
            const bool ready = complete && ++u.statusPolls >= pollsUntilReady;
            return QHttpServerResponse(QJsonObject{
                {QStringLiteral("ReadyToStream"), ready},
                {QStringLiteral("Duration"), ready ? 1.5 : 0.0},
                {QStringLiteral("Dimensions"), QJsonObject{{QStringLiteral("width"), ready ? 64 : 0},
                                                           {QStringLiteral("height"), ready ? 48 : 0}}},
                {QStringLiteral("State"), ready ? QStringLiteral("ready") : complete ? QStringLiteral("inprogress")
                                                                                      : QStringLiteral("pendingupload")}});
        });
        m_port = m_server.listen(QHostAddress::LocalHost, 0);
        return m_port != 0 && m_dir.isValid();
    }

    quint16 port() const { return m_port; }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_port)); }
    QString filePath(const QString &id) const { return m_dir.filePath(id + QStringLiteral(".bin")); }
    bool has(const QString &id) const { return m_uploads.contains(id); }
    Upload upload(const QString &id) const { return m_uploads.value(id); }
    int uploadCount() const { return int(m_uploads.size()); }

private:
    static QByteArray methodName(const QHttpServerRequest &req)
    {
        using Method = QHttpServerRequest::Method;
        switch (req.method()) {
        case Method::Get: return "GET";
        case Method::Post: return "POST";
        case Method::Head: return "HEAD";
        case Method::Patch: return "PATCH";
        case Method::Delete: return "DELETE";
        case Method::Options: return "OPTIONS";
        default: return "OTHER";
        }
    }

    QHttpServerResponse tusResponse(QHttpServerResponse::StatusCode status, const QString &id) const
    {
        QHttpServerResponse response(status);
        response.setHeader("Tus-Resumable", "1.0.0");
        response.setHeader("Stream-Media-Id", id.toLatin1());
        response.setHeader("Cache-Control", "no-store");
        return response;
    }

    QHttpServerResponse options() const
    {
        QHttpServerResponse response(QHttpServerResponse::StatusCode::NoContent);
        response.setHeader("Tus-Resumable", "1.0.0");
        response.setHeader("Tus-Version", "1.0.0");
        response.setHeader("Tus-Extension", extensions.join(QLatin1Char(',')).toLatin1());
        if (!checksumAlgorithms.isEmpty())
            response.setHeader("Tus-Checksum-Algorithm", checksumAlgorithms.join(QLatin1Char(',')).toLatin1());
        return response;
    }

    static QHttpServerResponse error(const QString &sentence, QHttpServerResponse::StatusCode status)
    {
        return QHttpServerResponse(QJsonObject{{QStringLiteral("error"), sentence}}, status);
    }

    QHttpServerResponse create(const QHttpServerRequest &req)
    {
        bool ok = false;
        const qint64 length = req.value("Upload-Length").toLongLong(&ok);
        if (!ok || length < 0)
            return error(QStringLiteral("Must provide Upload-Length header"), QHttpServerResponse::StatusCode::BadRequest);
        if (length > 262144000)
            return error(QStringLiteral("Files must be less than 250MB"), QHttpServerResponse::StatusCode::BadRequest);
        QString id;
        for (int i = 0; i < 4; ++i)
            id += QString::number(QRandomGenerator::global()->generate(), 16).rightJustified(8, QLatin1Char('0'));
        Upload upload;
        upload.length = length;
        upload.metadata = req.value("Upload-Metadata");
        QFile(filePath(id)).open(QIODevice::WriteOnly);
        m_uploads.insert(id, upload);
        QHttpServerResponse::StatusCode status = QHttpServerResponse::StatusCode::Ok;
        if (!req.body().isEmpty()) {
            if (!extensions.contains(QStringLiteral("creation-with-upload")))
                return error(QStringLiteral("creation-with-upload is not supported"), QHttpServerResponse::StatusCode::BadRequest);
            QFile f(filePath(id));
            f.open(QIODevice::Append);
            f.write(req.body());
            m_uploads[id].offset = req.body().size();
            status = QHttpServerResponse::StatusCode::Created;
        }
        QHttpServerResponse response = tusResponse(status, id);
        // Relative, as many tus servers send it: the client must resolve it.
        response.setHeader("Location", "/tus/" + id.toLatin1());
        response.setHeader("Upload-Offset", QByteArray::number(m_uploads[id].offset));
        response.setHeader("Access-Control-Expose-Headers", "Location, Stream-Media-Id");
        return response;
    }

    QHttpServerResponse head(const QString &id) const
    {
        const Upload &u = m_uploads[id];
        QHttpServerResponse response = tusResponse(QHttpServerResponse::StatusCode::Ok, id);
        response.setHeader("Upload-Offset", QByteArray::number(u.offset));
        response.setHeader("Upload-Length", QByteArray::number(u.length));
        return response;
    }

    QHttpServerResponse patch(const QString &id, const QHttpServerRequest &req)
    {
        Upload &u = m_uploads[id];
        if (!patchFailures.isEmpty()) {
            const auto status = static_cast<QHttpServerResponse::StatusCode>(patchFailures.takeFirst());
            return int(status) < 500 && int(status) != 423
                       ? error(QStringLiteral("This server refuses the chunk (test)."), status)
                       : tusResponse(status, id);
        }
        if (req.value("Content-Type") != "application/offset+octet-stream")
            return QHttpServerResponse(QHttpServerResponse::StatusCode::UnsupportedMediaType);
        if (req.value("Upload-Offset").toLongLong() != u.offset)
            return tusResponse(QHttpServerResponse::StatusCode::Conflict, id);
        const QByteArray body = req.body();
        if (u.offset + body.size() > u.length)
            return error(QStringLiteral("The chunk goes past Upload-Length."), QHttpServerResponse::StatusCode::BadRequest);
        const QByteArray checksum = req.value("Upload-Checksum");
        if (!checksum.isEmpty()) {
            const QList<QByteArray> parts = checksum.split(' ');
            const QByteArray name = parts.value(0);
            if (!checksumAlgorithms.contains(QString::fromLatin1(name)))
                return error(QStringLiteral("Unsupported checksum algorithm."), QHttpServerResponse::StatusCode::BadRequest);
            const QByteArray expected = name == "crc32" ? testcommon::crc32Base64(body)
                : QCryptographicHash::hash(body, name == "sha256" ? QCryptographicHash::Sha256
                                                 : name == "md5"  ? QCryptographicHash::Md5
                                                                  : QCryptographicHash::Sha1).toBase64();
            if (parts.size() != 2 || expected != parts[1])
                return QHttpServerResponse(static_cast<QHttpServerResponse::StatusCode>(460));
            ++checksumsVerified;
            checksumAlgorithmsUsed << name;
        }
        QFile f(filePath(id));
        f.open(QIODevice::Append);
        f.write(body);
        u.offset += body.size();
        QHttpServerResponse response = tusResponse(QHttpServerResponse::StatusCode::NoContent, id);
        response.setHeader("Upload-Offset", QByteArray::number(u.offset));
        return response;
    }

    QHttpServer m_server;
    QTemporaryDir m_dir;
    QMap<QString, Upload> m_uploads;
    quint16 m_port = 0;
};
