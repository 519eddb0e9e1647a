#include "host/controllers/mediaservercontroller.h"

#include "host/controllers/videoasset.h"
#include "host/controllers/videocontroller.h"
#include "host/endpointrouter.h"
#include "host/multipartstream.h"
#include "tus/tusprotocol.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>

#include <cstdio>
#include <limits>

#include <fcntl.h>
#include <unistd.h>

namespace deso::host {

namespace {

Error uploadError(int status, const QString &message)
{
    return Error(QStringLiteral("media.upload"), message, status);
}

HttpResponse errorResponse(const Error &e)
{
    return HttpResponse::error(e.httpStatus ? e.httpStatus : 500, e.message);
}

// An answer from the head whatever body follows (it stays unread; the door closes
// the connection after the answer): a refused PUT says why, not 413.
Admission answerFromHead(HttpResponse response)
{
    Admission a = Admission::answer(std::move(response));
    a.maxBodyBytes = std::numeric_limits<qint64>::max();
    return a;
}

QString tooLargeMessage(qint64 maxFileBytes)
{
    return QStringLiteral("UploadVideo: Files must be at most %1 bytes").arg(maxFileBytes);
}

// A body on its way to disk under the staging directory: written as it
// arrives, synced before it is adopted, removed unless it is.
class StagedFile {
public:
    explicit StagedFile(QString path) : m_path(std::move(path)) {}
    ~StagedFile() { discard(); }

    Status open()
    {
        m_fd = ::open(QFile::encodeName(m_path).constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (m_fd < 0)
            return uploadError(500, QStringLiteral("The host could not create storage for the upload."));
        return {};
    }
    bool isOpen() const { return m_fd >= 0; }

    Status write(const char *data, qint64 size)
    {
        qint64 done = 0;
        while (done < size) {
            const ssize_t n = ::write(m_fd, data + done, size_t(size - done));
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return uploadError(500, QStringLiteral("The host could not write the upload to disk."));
            }
            done += n;
        }
        m_size += size;
        return {};
    }

    // Synced and closed: ready to be renamed into the store.
    Status close()
    {
        const bool synced = ::fdatasync(m_fd) == 0;
        ::close(m_fd);
        m_fd = -1;
        if (!synced)
            return uploadError(500, QStringLiteral("The host could not flush the upload to disk."));
        return {};
    }

    // The file now belongs to the store: do not remove it.
    void release() { m_path.clear(); }

    void discard()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
        if (!m_path.isEmpty())
            QFile::remove(m_path); // nothing of a failed body stays behind
        m_path.clear();
    }

    QString path() const { return m_path; }
    qint64 size() const { return m_size; }

private:
    QString m_path;
    int m_fd = -1;
    qint64 m_size = 0;
};

} // namespace

// POST upload-video with a multipart body: text fields are kept (bounded), the
// `file` part goes straight to a staged file; at the end the uploader is
// verified and the file becomes an asset. Every failure removes the staged file.
class MultipartVideoSink final : public RequestHandler, private MultipartPartSink {
public:
    MultipartVideoSink(MediaServerController &controller, HttpRequest request, MultipartStream stream)
        : m_controller(controller), m_request(std::move(request)), m_stream(std::move(stream)),
          m_file(controller.stagingPath())
    {
    }

    Status body(const char *data, qint64 size) override
    {
        auto s = m_stream.feed(data, size, *this);
        if (!s.ok()) {
            m_file.discard();
            if (s.error().code == QLatin1String("form.malformed"))
                return uploadError(400, QStringLiteral("UploadVideo: Problem parsing multipart form data: %1").arg(s.error().message));
        }
        return s;
    }

    void end(Responder responder) override
    {
        if (auto s = complete(); !s.ok()) {
            m_file.discard();
            responder.send(errorResponse(s.error()));
            return;
        }
        const QString path = m_file.path();
        const qint64 size = m_file.size();
        m_file.release(); // the adoption's now
        MediaServerController *controller = &m_controller;
        const QByteArray baseUrl = m_controller.m_site.baseUrlFor(m_request);
        m_controller.adoptThen(path, size, m_fileName, [controller, responder, baseUrl](Result<std::shared_ptr<UploadRecord>> adopted) {
            responder.send(adopted.ok() ? controller->createdAnswer(*adopted.value(), baseUrl) : errorResponse(adopted.error()));
        });
    }

    void abandon() override { m_file.discard(); }

private:
    // The form is whole and sound, and its file ready to adopt.
    Status complete()
    {
        if (auto s = m_stream.finish(); !s.ok())
            return uploadError(400, QStringLiteral("UploadVideo: Problem parsing multipart form data: %1").arg(s.error().message));
        if (auto s = verify(); !s.ok())
            return s.error();
        if (!m_sawFile)
            return uploadError(400, QStringLiteral("UploadVideo: Problem getting file from form data: http: no such file"));
        if (m_file.size() == 0)
            return uploadError(400, QStringLiteral("UploadVideo: The file is empty."));
        return {};
    }

    Status verify() const
    {
        if (!m_fields.contains("JWT"))
            return uploadError(400, QStringLiteral("No JWT provided"));
        if (!m_fields.contains("UserPublicKeyBase58Check"))
            return uploadError(400, QStringLiteral("No public key provided"));
        return m_controller.verifyUploader(QString::fromUtf8(m_fields.value("JWT")),
                                           QString::fromUtf8(m_fields.value("UserPublicKeyBase58Check")));
    }

    Status partBegin(const MultipartPart &part) override
    {
        m_part = part;
        if (!part.isFile()) {
            m_fields.insert(part.name, QByteArray());
            return {};
        }
        if (part.name != "file")
            return {}; // other files are read past, not kept
        if (m_sawFile)
            return uploadError(400, QStringLiteral("UploadVideo: The form carries more than one file."));
        m_sawFile = true;
        const QByteArray type = part.contentType.toLower();
        if (!type.isEmpty() && !type.startsWith("video/") && type != "application/octet-stream")
            return uploadError(400, QStringLiteral("UploadVideo: %1 is not a video (its type is %2).")
                                        .arg(QString::fromUtf8(part.fileName), QString::fromLatin1(part.contentType.left(80))));
        // The credentials came first (as the SDK sends them): refuse before a byte is stored.
        if (m_fields.contains("JWT") && m_fields.contains("UserPublicKeyBase58Check")) {
            if (auto s = verify(); !s.ok())
                return s;
        }
        m_fileName = part.fileName;
        return m_file.open();
    }

    Status partData(const char *data, qint64 size) override
    {
        if (!m_part.isFile()) {
            m_fieldBytes += size;
            if (m_fieldBytes > MediaServerController::kMaxFieldBytes)
                return uploadError(413, QStringLiteral("UploadVideo: The form's text fields are larger than %1 bytes.")
                                            .arg(MediaServerController::kMaxFieldBytes));
            m_fields[m_part.name].append(data, qsizetype(size));
            return {};
        }
        if (m_part.name != "file" || !m_file.isOpen())
            return {};
        if (m_file.size() + size > m_controller.m_maxFileBytes)
            return uploadError(413, tooLargeMessage(m_controller.m_maxFileBytes));
        return m_file.write(data, size);
    }

    Status partEnd() override
    {
        if (m_part.isFile() && m_part.name == "file" && m_file.isOpen())
            return m_file.close();
        return {};
    }

    MediaServerController &m_controller;
    HttpRequest m_request;
    MultipartStream m_stream;
    StagedFile m_file;
    MultipartPart m_part;
    QHash<QByteArray, QByteArray> m_fields;
    qint64 m_fieldBytes = 0;
    bool m_sawFile = false;
    QByteArray m_fileName;
};

// PUT <direct-upload URL>: the raw body is the file.
class DirectUploadSink final : public RequestHandler {
public:
    DirectUploadSink(MediaServerController &controller, HttpRequest request, QByteArray token)
        : m_controller(controller), m_request(std::move(request)), m_token(std::move(token)),
          m_file(controller.stagingPath())
    {
    }
    ~DirectUploadSink() override { release(&m_controller, m_token); }

    Status open() { return m_file.open(); }

    Status body(const char *data, qint64 size) override
    {
        if (m_file.size() + size > m_controller.m_maxFileBytes) {
            m_file.discard();
            return uploadError(413, tooLargeMessage(m_controller.m_maxFileBytes));
        }
        auto s = m_file.write(data, size);
        if (!s.ok())
            m_file.discard();
        return s;
    }

    void end(Responder responder) override
    {
        Status ready = m_file.size() == 0 ? Status(uploadError(400, QStringLiteral("UploadVideo: The file is empty.")))
                                          : m_file.close();
        if (!ready.ok()) {
            m_file.discard();
            release(&m_controller, m_token);
            m_token.clear();
            responder.send(errorResponse(ready.error()));
            return;
        }
        const QByteArray name = QFileInfo(QString::fromUtf8(m_request.header("x-file-name"))).fileName().toUtf8();
        const QString path = m_file.path();
        const qint64 size = m_file.size();
        m_file.release(); // the adoption's now
        MediaServerController *controller = &m_controller;
        // The token stays held until the adoption ends: used, or given back.
        const QByteArray token = std::exchange(m_token, QByteArray());
        m_controller.adoptThen(path, size, name, [controller, responder, token](Result<std::shared_ptr<UploadRecord>> adopted) {
            if (!adopted.ok()) {
                release(controller, token);
                return responder.send(errorResponse(adopted.error()));
            }
            controller->m_directTokens.remove(token); // used: one asset per URL
            const UploadRecord &r = *adopted.value();
            responder.send(HttpResponse::json(200, QJsonObject{{QStringLiteral("asset"),
                                                                QJsonObject{{QStringLiteral("id"), r.id}, {QStringLiteral("playbackId"), videoPlaybackId(r)}}}}));
        });
    }

    void abandon() override
    {
        m_file.discard();
        release(&m_controller, m_token);
        m_token.clear();
    }

private:
    // A PUT that did not make an asset gives its URL back for another try.
    static void release(MediaServerController *controller, const QByteArray &token)
    {
        if (!token.isEmpty() && controller->m_directTokens.contains(token))
            controller->m_directTokens[token] = QDateTime::currentDateTimeUtc().addSecs(controller->m_site.config.uploadExpirySeconds);
    }

    MediaServerController &m_controller;
    HttpRequest m_request;
    QByteArray m_token;
    StagedFile m_file;
};

MediaServerController::MediaServerController(const HostSite &site, UploadStore &store,
                                             const identity::DerivedKeyAuthorizations &authorizations, qint64 maxFileBytes,
                                             CompletionHandler onComplete)
    : m_site(site), m_store(store), m_authorizations(authorizations), m_maxFileBytes(maxFileBytes),
      m_onComplete(std::move(onComplete)), m_stagingDir(store.stagingDir())
{
    // Staged bodies left by a host that stopped mid-upload are never resumed: clear them.
    QDir(m_stagingDir).removeRecursively();
    QDir().mkpath(m_stagingDir);
}

bool MediaServerController::isMultipart(const HttpRequest &request)
{
    return request.header("content-type").trimmed().toLower().startsWith("multipart/form-data");
}

QString MediaServerController::stagingPath()
{
    return QDir(m_stagingDir).filePath(QStringLiteral("%1-%2.part").arg(++m_stagingCounter).arg(QRandomGenerator::system()->generate64(), 0, 16));
}

Status MediaServerController::verifyUploader(const QString &jwt, const QString &publicKey) const
{
    identity::JwtVerifyOptions verify;
    verify.authorizations = &m_authorizations;
    if (auto claims = identity::verifyJwt(jwt, publicKey, verify); !claims.ok())
        return uploadError(400, QStringLiteral("UploadVideo: Invalid token: %1").arg(claims.error().message));
    return {};
}

Admission MediaServerController::upload(const HttpRequest &request)
{
    auto stream = MultipartStream::forContentType(request.header("content-type"));
    if (!stream.ok())
        return answerFromHead(HttpResponse::error(400, QStringLiteral("UploadVideo: Problem parsing multipart form data: %1")
                                                              .arg(stream.error().message)));
    // The bound covers the file and the form around it; the sink enforces the file's own limit.
    return Admission::stream(std::make_unique<MultipartVideoSink>(*this, request, std::move(stream.value())),
                             m_maxFileBytes + kMaxFieldBytes, true);
}

Admission MediaServerController::directUpload(const HttpRequest &request, const QString &tokenText)
{
    const QByteArray token = tokenText.toLatin1();
    const auto it = m_directTokens.constFind(token);
    // Held while a PUT streams (an invalid expiry): a second PUT on it is refused.
    const bool held = it != m_directTokens.constEnd() && !it.value().isValid();
    if (it == m_directTokens.constEnd() || (!held && it.value() <= QDateTime::currentDateTimeUtc())) {
        m_directTokens.remove(token);
        return answerFromHead(HttpResponse::error(404, QStringLiteral("This direct-upload URL is unknown, used or expired.")));
    }
    if (request.method != "PUT") {
        HttpResponse r = HttpResponse::error(405, QStringLiteral("A direct-upload URL accepts PUT."));
        r.setHeader("Allow", "PUT, OPTIONS");
        return answerFromHead(std::move(r));
    }
    if (held)
        return answerFromHead(HttpResponse::error(409, QStringLiteral("This direct-upload URL is receiving a file already.")));
    auto sink = std::make_unique<DirectUploadSink>(*this, request, token);
    if (auto s = sink->open(); !s.ok())
        return answerFromHead(errorResponse(s.error()));
    m_directTokens[token] = QDateTime();
    return Admission::stream(std::move(sink), m_maxFileBytes, true);
}

Result<std::shared_ptr<UploadRecord>> MediaServerController::adopt(const QString &stagedPath, qint64 length,
                                                                  const QByteArray &fileName)
{
    QMap<QString, QByteArray> metadata;
    if (!fileName.isEmpty())
        metadata.insert(QStringLiteral("filename"), fileName);
    auto created = m_store.create(length, tus::formatUploadMetadata(metadata), metadata, QDateTime());
    if (!created.ok())
        return created.error();
    const auto record = created.value();
    if (const Status adopted = m_store.adoptFile(record->id, stagedPath); !adopted.ok()) {
        const Status removed = m_store.remove(record->id);
        return uploadError(500, removed.ok() ? adopted.error().message
                                             : QStringLiteral("%1: %2").arg(adopted.error().message, removed.error().message));
    }
    record->offset = length;
    if (auto s = m_store.save(*record); !s.ok()) {
        const Status removed = m_store.remove(record->id);
        return removed.ok() ? s.error()
                            : uploadError(500, QStringLiteral("%1 %2").arg(s.error().message, removed.error().message));
    }
    if (m_onComplete)
        m_onComplete(record);
    return record;
}

void MediaServerController::adoptThen(const QString &stagedPath, qint64 length, const QByteArray &fileName, Adopted done)
{
    auto work = [this, stagedPath, length, fileName] {
        auto adopted = adopt(stagedPath, length, fileName);
        if (!adopted.ok())
            QFile::remove(stagedPath); // nothing of a failed body stays behind
        return adopted;
    };
    if (!m_blockingStorage)
        return done(work());
    runStorageWork<Result<std::shared_ptr<UploadRecord>>>(*m_blockingStorage, m_context, work, std::move(done));
}

HttpResponse MediaServerController::createdAnswer(const UploadRecord &record, const QByteArray &baseUrl)
{
    QByteArray raw(24, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(raw.data()), raw.size() / 4);
    const QByteArray token = raw.toHex();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (auto it = m_directTokens.begin(); it != m_directTokens.end();) // forget expired ones as new ones come
        it = it.value().isValid() && it.value() <= now ? m_directTokens.erase(it) : std::next(it);
    m_directTokens.insert(token, now.addSecs(m_site.config.uploadExpirySeconds));
    return HttpResponse::json(200, QJsonObject{
        {QStringLiteral("asset"), QJsonObject{{QStringLiteral("id"), record.id}, {QStringLiteral("playbackId"), videoPlaybackId(record)}}},
        // tus creation on this same path: a resumable client makes the same kind of asset there.
        {QStringLiteral("tusEndpoint"), QString::fromLatin1(baseUrl + EndpointRouter::uploadVideoPath())},
        {QStringLiteral("url"), QString::fromLatin1(baseUrl + directUploadPrefix() + token)},
    });
}

HttpResponse MediaServerController::enableDownload(const HttpRequest &request, const QString &id) const
{
    if (!VideoController::isVideoId(id))
        return HttpResponse::error(400, QStringLiteral("EnableVideoDownload: videoId must match [0-9a-z]{25,35}"));
    const auto found = m_store.find(id);
    if (!found.ok())
        return HttpResponse::error(found.error().httpStatus ? found.error().httpStatus : 503,
                                   QStringLiteral("EnableVideoDownload: %1").arg(found.error().message));
    const auto &record = found.value();
    if (!record)
        return HttpResponse::error(404, QStringLiteral("EnableVideoDownload: no video with id %1").arg(id));
    if (record->state == VideoState::Error)
        return HttpResponse::error(409, QStringLiteral("EnableVideoDownload: video %1 failed: %2").arg(id, record->errorMessage));
    const bool ready = record->state == VideoState::Ready;
    return HttpResponse::json(200, QJsonObject{{QStringLiteral("Default"), QJsonObject{
        {QStringLiteral("status"), ready ? QStringLiteral("ready") : QStringLiteral("inprogress")},
        {QStringLiteral("url"), ready ? QString::fromLatin1(videoDownloadUrl(*record, m_site.baseUrlFor(request))) : QString()},
        {QStringLiteral("percentComplete"), ready ? 100.0 : 100.0 * record->processingProgress},
    }}});
}

} // namespace deso::host
