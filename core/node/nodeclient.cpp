#include "node/nodeclient.h"

#include "node/httperror.h"
#include "tiktok/tiktoklinks.h"
#include "tus/socketpatchsender.h"

#include <QBuffer>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHttpMultiPart>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QRandomGenerator>

#include <memory>

namespace deso::node {

namespace {

QHttpPart textPart(const QByteArray &name, const QString &value)
{
    QHttpPart part;
    part.setHeader(QNetworkRequest::ContentDispositionHeader, QByteArrayLiteral("form-data; name=\"") + name + '"');
    part.setBody(value.toUtf8());
    return part;
}

Error badAnswer(const QString &what, const QString &detail, int status)
{
    return Error(QStringLiteral("server.bad_answer"), QStringLiteral("%1: the node's answer %2.").arg(what, detail), status);
}

QString jsonString(const QJsonObject &object, std::initializer_list<const char *> keys)
{
    for (const char *key : keys) {
        const QJsonValue value = object.value(QLatin1String(key));
        if (value.isString() && !value.toString().isEmpty())
            return value.toString();
    }
    return {};
}

} // namespace

VideoStatus VideoStatus::fromJson(const QString &videoId, const QJsonObject &object)
{
    VideoStatus status;
    status.videoId = videoId;
    status.raw = object;
    status.readyToStream = object.value(QStringLiteral("ReadyToStream")).toBool();
    status.duration = object.value(QStringLiteral("Duration")).toDouble();
    const QJsonObject dims = object.value(QStringLiteral("Dimensions")).toObject();
    status.width = dims.value(QStringLiteral("width")).toInt();
    status.height = dims.value(QStringLiteral("height")).toInt();
    // Extras are optional and named differently by different hosts: accept PascalCase, the
    // video service's own lowercase names (this project's host sends those flat), and its
    // nested {"status": {"state", "errorReasonCode", "errorReasonText"}}.
    QJsonObject nested = object.value(QStringLiteral("status")).toObject();
    if (nested.isEmpty())
        nested = object.value(QStringLiteral("Status")).toObject();
    status.state = jsonString(object, {"State", "state", "VideoState"});
    if (status.state.isEmpty())
        status.state = jsonString(nested, {"state"});
    status.state = status.state.toLower();
    status.errorCode = jsonString(object, {"ErrorCode", "errorReasonCode", "ErrorReasonCode"});
    if (status.errorCode.isEmpty())
        status.errorCode = jsonString(nested, {"errorReasonCode"});
    status.errorMessage = jsonString(object, {"ErrorMessage", "errorReasonText", "ErrorReasonText"});
    if (status.errorMessage.isEmpty())
        status.errorMessage = jsonString(nested, {"errorReasonText"});
    status.playbackUrl = jsonString(object, {"PlaybackURL", "playbackURL", "playbackUrl"});
    // The media server's Livepeer-style asset.
    status.phase = jsonString(nested, {"phase"}).toLower();
    status.downloadUrl = jsonString(object, {"downloadURL", "downloadUrl"});
    if (status.phase == QLatin1String("ready"))
        status.readyToStream = true;
    if (status.errorMessage.isEmpty())
        status.errorMessage = jsonString(nested, {"errorMessage"});
    const QJsonObject spec = object.value(QStringLiteral("videoSpec")).toObject();
    if (status.duration <= 0)
        status.duration = spec.value(QStringLiteral("duration")).toDouble();
    for (const QJsonValue track : spec.value(QStringLiteral("tracks")).toArray()) {
        const QJsonObject t = track.toObject();
        if (t.value(QStringLiteral("type")).toString() == QLatin1String("video") && status.width <= 0) {
            status.width = t.value(QStringLiteral("width")).toInt();
            status.height = t.value(QStringLiteral("height")).toInt();
        }
    }
    return status;
}

NodeClient::NodeClient(QUrl baseUrl, QObject *parent)
    : QObject(parent), m_baseUrl(std::move(baseUrl)), m_nam(new QNetworkAccessManager(this))
{
}

QUrl NodeClient::endpoint(const QString &path) const
{
    QUrl url = m_baseUrl;
    QString prefix = url.path();
    while (prefix.endsWith(QLatin1Char('/')))
        prefix.chop(1);
    url.setPath(prefix + QStringLiteral("/api/v0/") + path, QUrl::StrictMode);
    url.setQuery(QString());
    url.setFragment(QString());
    return url;
}

template <typename T>
void NodeClient::finishJson(QNetworkReply *reply, const QByteArray &method, const QString &requestBody, QObject *context,
                            const QString &what, std::function<Result<T>(const QJsonObject &)> parse,
                            std::function<void(Result<T>)> done)
{
    QElapsedTimer clock;
    clock.start();
    connect(reply, &QNetworkReply::finished, context,
            [self = QPointer<NodeClient>(this), reply, method, requestBody, clock, what, parse = std::move(parse),
             done = std::move(done)] {
        reply->deleteLater();
        const QByteArray body = reply->readAll();
        if (self)
            emit self->exchanged(recordExchange(reply, method, body, clock.elapsed(), requestBody));
        if (!replySucceeded(reply)) {
            done(replyError(reply, body, what));
            return;
        }
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
        if (!doc.isObject()) {
            done(badAnswer(what, QStringLiteral("is not a JSON object (%1)").arg(parseError.errorString()),
                           httpStatus(reply)));
            return;
        }
        done(parse(doc.object()));
    });
    // If the context dies first, the request goes and the callback is never run
    // (destroyed() comes before the context's connections are cut, so cut them first).
    connect(context, &QObject::destroyed, reply, [reply] {
        reply->disconnect();
        reply->abort();
        reply->deleteLater();
    });
}

void NodeClient::uploadImage(const ImagePart &part, const QString &publicKey, const QString &jwt, QObject *context,
                             std::function<void(Result<ImageUpload>)> done, std::function<void(qint64, qint64)> progress)
{
    const QString what = QStringLiteral("Uploading the image");
    std::unique_ptr<QIODevice> body;
    if (part.bytes.isEmpty()) {
        body = std::make_unique<QFile>(part.sourcePath);
    } else {
        auto buffer = std::make_unique<QBuffer>();
        buffer->setData(part.bytes);
        body = std::move(buffer);
    }
    if (!body->open(QIODevice::ReadOnly)) {
        const Error error(QStringLiteral("image.unreadable"),
                          QStringLiteral("Cannot read the image %1: %2").arg(part.sourcePath, body->errorString()));
        QMetaObject::invokeMethod(context, [done, error] { done(error); }, Qt::QueuedConnection);
        return;
    }
    QString description;
    QHttpMultiPart *multipart = fileForm(body.release(), part.fileName, part.contentType, publicKey, jwt, &description, part.size);
    QNetworkRequest request(endpoint(QStringLiteral("upload-image")));
    QNetworkReply *reply = m_nam->post(request, multipart);
    multipart->setParent(reply);
    if (progress)
        connect(reply, &QNetworkReply::uploadProgress, context, std::move(progress));
    ImageUpload sent;
    sent.sentFile = part.sourcePath;
    sent.sentFileName = part.fileName;
    sent.contentType = part.contentType;
    sent.sentBytes = part.size;
    sent.changed = part.changed;
    sent.preparation = part.preparation;
    finishJson<ImageUpload>(reply, "POST", description, context, what,
        [what, sent](const QJsonObject &object) -> Result<ImageUpload> {
            const QString url = object.value(QStringLiteral("ImageURL")).toString();
            if (url.isEmpty())
                return badAnswer(what, QStringLiteral("has no ImageURL"), 200);
            ImageUpload result = sent;
            result.imageUrl = url;
            return result;
        },
        std::move(done));
}

QHttpMultiPart *NodeClient::fileForm(QIODevice *file, QString fileName, const QString &contentType, const QString &publicKey,
                                     const QString &jwt, QString *description, qint64 size)
{
    auto *multipart = new QHttpMultiPart(QHttpMultiPart::FormDataType);
    // Credentials first, as the SDK sends them: a server can refuse before the file.
    if (!publicKey.isEmpty())
        multipart->append(textPart("UserPublicKeyBase58Check", publicKey));
    if (!jwt.isEmpty())
        multipart->append(textPart("JWT", jwt));
    QHttpPart filePart;
    fileName.replace(QLatin1Char('"'), QLatin1Char('_'));
    filePart.setHeader(QNetworkRequest::ContentDispositionHeader,
                       QStringLiteral("form-data; name=\"file\"; filename=\"%1\"").arg(fileName).toUtf8());
    filePart.setHeader(QNetworkRequest::ContentTypeHeader, contentType.toLatin1());
    filePart.setBodyDevice(file); // read as the request goes: never whole in memory
    file->setParent(multipart);
    multipart->append(filePart);
    *description = formDescription(fileName, contentType, publicKey, jwt, size);
    return multipart;
}

QString NodeClient::formDescription(const QString &fileName, const QString &contentType, const QString &publicKey,
                                    const QString &jwt, qint64 size)
{
    QStringList parts;
    if (!publicKey.isEmpty())
        parts << QStringLiteral("UserPublicKeyBase58Check: %1").arg(publicKey);
    if (!jwt.isEmpty())
        parts << QStringLiteral("JWT: %1").arg(redactedToken(jwt));
    parts << QStringLiteral("file: \"%1\", %2, %3 bytes").arg(fileName, contentType).arg(size);
    return QStringLiteral("multipart/form-data with %1 part(s)\n  ").arg(parts.size()) + parts.join(QStringLiteral("\n  "));
}

void NodeClient::uploadVideoForm(const QString &filePath, const QString &contentType, const QString &publicKey,
                                 const QString &jwt, QObject *context, std::function<void(Result<MediaServerUpload>)> done,
                                 std::function<void(qint64, qint64)> progress)
{
    const QString what = QStringLiteral("Uploading the video to the media server");
    auto file = std::make_unique<QFile>(filePath);
    if (!file->open(QIODevice::ReadOnly)) {
        const Error error(QStringLiteral("video.unreadable"),
                          QStringLiteral("Cannot read the video %1: %2").arg(filePath, file->errorString()));
        QMetaObject::invokeMethod(context, [done, error] { done(error); }, Qt::QueuedConnection);
        return;
    }
    const qint64 size = file->size();
    auto parse = [self = QPointer<NodeClient>(this), what, size](const QJsonObject &object) -> Result<MediaServerUpload> {
        const QJsonObject asset = object.value(QStringLiteral("asset")).toObject();
        MediaServerUpload result;
        result.assetId = asset.value(QStringLiteral("id")).toString();
        if (result.assetId.isEmpty())
            return badAnswer(what, QStringLiteral("has no asset.id"), 200);
        result.playbackId = asset.value(QStringLiteral("playbackId")).toString();
        result.tusEndpoint = QUrl(object.value(QStringLiteral("tusEndpoint")).toString());
        result.directUploadUrl = QUrl(object.value(QStringLiteral("url")).toString());
        if (self && result.tusEndpoint.isValid() && !result.tusEndpoint.isRelative())
            self->m_tusEndpoint = result.tusEndpoint;
        result.sentBytes = size;
        result.raw = object;
        return result;
    };
    if (tus::SocketPatchSender::canSend(videoUploadEndpoint())) {
        file.reset(); // the sender reads the file itself
        uploadVideoFormOverSocket(filePath, size, contentType, publicKey, jwt, context, what, parse, std::move(done),
                                  std::move(progress));
        return;
    }
    QString description;
    QHttpMultiPart *multipart = fileForm(file.release(), QFileInfo(filePath).fileName(), contentType, publicKey, jwt,
                                         &description, size);
    QNetworkRequest request(videoUploadEndpoint());
    QNetworkReply *reply = m_nam->post(request, multipart);
    multipart->setParent(reply);
    if (progress)
        connect(reply, &QNetworkReply::uploadProgress, context, std::move(progress));
    finishJson<MediaServerUpload>(reply, "POST", description, context, what, parse, std::move(done));
}

// The form is written around the file by hand and sent by the plain-socket sender
// (sendfile for the file's bytes): QHttpMultiPart through QNAM forwards the body to
// QNAM's thread in small pieces and capped this upload well below the wire (issue 15).
void NodeClient::uploadVideoFormOverSocket(const QString &filePath, qint64 size, const QString &contentType,
                                           const QString &publicKey, const QString &jwt, QObject *context,
                                           const QString &what,
                                           std::function<Result<MediaServerUpload>(const QJsonObject &)> parse,
                                           std::function<void(Result<MediaServerUpload>)> done,
                                           std::function<void(qint64, qint64)> progress)
{
    const QByteArray boundary = "----deso-media-" + QByteArray::number(QRandomGenerator::global()->generate64(), 16);
    QByteArray prefix;
    const auto field = [&](const QByteArray &name, const QString &value) {
        prefix += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value.toUtf8() + "\r\n";
    };
    // Credentials first, as the SDK sends them: a server can refuse before the file.
    if (!publicKey.isEmpty())
        field("UserPublicKeyBase58Check", publicKey);
    if (!jwt.isEmpty())
        field("JWT", jwt);
    QString fileName = QFileInfo(filePath).fileName();
    fileName.replace(QLatin1Char('"'), QLatin1Char('_'));
    prefix += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + fileName.toUtf8()
        + "\"\r\nContent-Type: " + contentType.toLatin1() + "\r\n\r\n";
    const QByteArray suffix = "\r\n--" + boundary + "--\r\n";
    const HeaderList headers{{"Content-Type", "multipart/form-data; boundary=" + boundary}};
    const QUrl url = videoUploadEndpoint();
    auto *sender = new tus::SocketPatchSender("POST", url, headers, filePath, 0, size, 0, context);
    sender->setBodyFraming(prefix, suffix);
    if (progress)
        connect(sender, &tus::SocketPatchSender::uploadProgress, context, std::move(progress));
    const QString description = formDescription(fileName, contentType, publicKey, jwt, size);
    QElapsedTimer clock;
    clock.start();
    connect(sender, &tus::SocketPatchSender::finished, context,
            [self = QPointer<NodeClient>(this), sender, url, headers, description, clock, what, filePath,
             parse = std::move(parse), done = std::move(done)](const tus::HttpAnswer &answer) {
        sender->deleteLater();
        if (self)
            emit self->exchanged(answer.toExchange("POST", url, headers, description, clock.elapsed()));
        if (answer.fileUnreadable) {
            done(Error(QStringLiteral("video.unreadable"),
                       QStringLiteral("Cannot read the video %1: %2").arg(filePath, answer.networkError)));
            return;
        }
        if (answer.status < 200 || answer.status >= 300 || !answer.networkError.isEmpty()) {
            done(answerError(answer.status, QString::fromLatin1(answer.reason), answer.body, answer.networkError, url, what));
            return;
        }
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(answer.body, &parseError);
        if (!doc.isObject()) {
            done(badAnswer(what, QStringLiteral("is not a JSON object (%1)").arg(parseError.errorString()), answer.status));
            return;
        }
        done(parse(doc.object()));
    });
    sender->start();
}

void NodeClient::discoverTusEndpoint(QObject *context, std::function<void(Result<QUrl>)> done)
{
    if (!m_tusEndpoint.isEmpty()) {
        QMetaObject::invokeMethod(context, [done, url = m_tusEndpoint] { done(url); }, Qt::QueuedConnection);
        return;
    }
    QElapsedTimer clock;
    clock.start();
    const QUrl endpoint = videoUploadEndpoint();
    QNetworkRequest request(endpoint);
    request.setRawHeader("Tus-Resumable", "1.0.0");
    QNetworkReply *reply = m_nam->sendCustomRequest(request, "OPTIONS");
    connect(reply, &QNetworkReply::finished, context, [self = QPointer<NodeClient>(this), reply, endpoint, clock, done] {
        reply->deleteLater();
        const QByteArray body = reply->readAll();
        if (self)
            emit self->exchanged(recordExchange(reply, "OPTIONS", body, clock.elapsed(), QString()));
        if (!replySucceeded(reply)) {
            done(replyError(reply, body, QStringLiteral("Asking %1 whether it takes tus uploads").arg(endpoint.toString())));
            return;
        }
        if (!reply->rawHeader("Tus-Version").contains("1.0.0")) {
            done(Error(QStringLiteral("media.no_tus"),
                       QStringLiteral("The media server at %1 offers no tus endpoint (its OPTIONS answer names no Tus-Version 1.0.0), "
                                      "so this upload cannot resume.").arg(endpoint.toString())));
            return;
        }
        if (self)
            self->m_tusEndpoint = endpoint;
        done(endpoint);
    });
    connect(context, &QObject::destroyed, reply, [reply] {
        reply->disconnect();
        reply->abort();
        reply->deleteLater();
    });
}

void NodeClient::fetchUrl(const QUrl &url, QObject *context, std::function<void(Result<FetchedUrl>)> done)
{
    QElapsedTimer clock;
    clock.start();
    QNetworkReply *reply = m_nam->get(QNetworkRequest(url));
    auto counted = std::make_shared<qint64>(0);
    // A video may be large: read it as it comes and keep only the count.
    connect(reply, &QNetworkReply::readyRead, context, [reply, counted] { *counted += reply->readAll().size(); });
    connect(reply, &QNetworkReply::finished, context, [self = QPointer<NodeClient>(this), reply, url, counted, clock, done] {
        reply->deleteLater();
        const QByteArray rest = reply->readAll();
        *counted += rest.size();
        const QByteArray shown = replySucceeded(reply) ? QByteArray("(%1 bytes, not shown)").replace("%1", QByteArray::number(*counted)) : rest;
        if (self)
            emit self->exchanged(recordExchange(reply, "GET", shown, clock.elapsed(), QString()));
        if (!replySucceeded(reply)) {
            done(replyError(reply, rest, QStringLiteral("Fetching %1").arg(url.toString())));
            return;
        }
        done(FetchedUrl{url, reply->header(QNetworkRequest::ContentTypeHeader).toString(), *counted});
    });
    connect(context, &QObject::destroyed, reply, [reply] {
        reply->disconnect();
        reply->abort();
        reply->deleteLater();
    });
}

void NodeClient::getVideoStatus(const QString &videoId, QObject *context, std::function<void(Result<VideoStatus>)> done)
{
    const QString what = QStringLiteral("Getting the status of video %1").arg(videoId);
    QNetworkRequest request(endpoint(QStringLiteral("get-video-status/") + QString::fromLatin1(QUrl::toPercentEncoding(videoId))));
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    finishJson<VideoStatus>(m_nam->get(request), "GET", QString(), context, what,
        [videoId](const QJsonObject &object) -> Result<VideoStatus> { return VideoStatus::fromJson(videoId, object); },
        std::move(done));
}

void NodeClient::getVideoDimensions(const QString &videoId, QObject *context,
                                    std::function<void(Result<VideoDimensions>)> done)
{
    const QString what = QStringLiteral("Getting the dimensions of video %1").arg(videoId);
    QNetworkRequest request(endpoint(QStringLiteral("get-video-dimensions/") + QString::fromLatin1(QUrl::toPercentEncoding(videoId))));
    finishJson<VideoDimensions>(m_nam->get(request), "GET", QString(), context, what,
        [what](const QJsonObject &object) -> Result<VideoDimensions> {
            if (!object.value(QStringLiteral("width")).isDouble() || !object.value(QStringLiteral("height")).isDouble())
                return badAnswer(what, QStringLiteral("has no width and height"), 200);
            return VideoDimensions{object.value(QStringLiteral("width")).toInt(), object.value(QStringLiteral("height")).toInt()};
        },
        std::move(done));
}

void NodeClient::getFullTikTokUrl(const QString &shortIdOrLink, QObject *context, std::function<void(Result<QString>)> done)
{
    const std::optional<QString> id = tiktok::shortIdFromText(shortIdOrLink);
    if (!id) {
        const Error error(QStringLiteral("tiktok.bad_link"),
                          QStringLiteral("\"%1\" is neither a TikTok short id (6 to 12 letters and digits) nor a "
                                         "https://vm.tiktok.com/<id>/ link.").arg(shortIdOrLink.trimmed()));
        QMetaObject::invokeMethod(context, [done, error] { done(error); }, Qt::QueuedConnection);
        return;
    }
    const QString what = QStringLiteral("Resolving the TikTok link %1").arg(*id);
    QNetworkRequest request(endpoint(QStringLiteral("get-full-tiktok-url")));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("TikTokShortVideoID"), *id}}).toJson(QJsonDocument::Compact);
    finishJson<QString>(m_nam->post(request, body), "POST", QString::fromUtf8(body), context, what,
        [what](const QJsonObject &object) -> Result<QString> {
            const QString url = object.value(QStringLiteral("FullTikTokURL")).toString();
            if (url.isEmpty())
                return badAnswer(what, QStringLiteral("has no FullTikTokURL"), 200);
            return url;
        },
        std::move(done));
}

// ---- VideoStatusPoller ----------------------------------------------------------

VideoStatusPoller::VideoStatusPoller(NodeClient *client, QString videoId, PollOptions options, QObject *parent)
    : QObject(parent), m_client(client), m_videoId(std::move(videoId)), m_options(options)
{
    qRegisterMetaType<deso::node::VideoStatus>();
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &VideoStatusPoller::poll);
}

void VideoStatusPoller::start()
{
    if (m_running)
        return;
    m_running = true;
    m_polls = 0;
    m_networkErrors = 0;
    m_intervalMs = m_options.initialIntervalMs;
    m_elapsed.start();
    poll();
}

void VideoStatusPoller::stop()
{
    finish();
}

void VideoStatusPoller::finish()
{
    m_running = false;
    m_timer.stop();
    delete m_requestContext;
    m_requestContext = nullptr;
}

void VideoStatusPoller::poll()
{
    if (!m_running)
        return;
    if (!m_client) {
        finish();
        emit failed(Error(QStringLiteral("poll.no_client"), QStringLiteral("The node client is gone.")));
        return;
    }
    ++m_polls;
    delete m_requestContext;
    m_requestContext = new QObject(this);
    m_client->getVideoStatus(m_videoId, m_requestContext, [this](Result<VideoStatus> result) {
        m_requestContext->deleteLater();
        m_requestContext = nullptr;
        if (!m_running)
            return;
        if (!result) {
            if (!isNetworkError(result.error()) || ++m_networkErrors > m_options.maxConsecutiveNetworkErrors) {
                finish();
                emit failed(result.error());
                return;
            }
        } else {
            m_networkErrors = 0;
            const VideoStatus &status = result.value();
            emit statusReceived(status);
            if (status.readyToStream) {
                finish();
                emit ready(status);
                return;
            }
            if (status.isError()) {
                finish();
                QString sentence = QStringLiteral("The video %1 cannot be streamed").arg(m_videoId);
                if (!status.errorCode.isEmpty())
                    sentence += QStringLiteral(": ") + status.errorCode;
                if (!status.errorMessage.isEmpty())
                    sentence += QStringLiteral(" (") + status.errorMessage + QStringLiteral(")");
                emit failed(Error(QStringLiteral("video.error_state"), sentence + QLatin1Char('.')));
                return;
            }
        }
        const qint64 left = qint64(m_options.timeoutMs) - m_elapsed.elapsed();
        if (left <= 0) {
            finish();
            emit failed(Error(QStringLiteral("video.timeout"),
                              QStringLiteral("The video %1 was not ready to stream after %2 seconds (%3 polls).")
                                  .arg(m_videoId).arg(m_options.timeoutMs / 1000.0).arg(m_polls)));
            return;
        }
        m_timer.start(int(qMin<qint64>(m_intervalMs, left)));
        m_intervalMs = qMin(m_options.maxIntervalMs, int(m_intervalMs * m_options.backoffFactor));
    });
}

} // namespace deso::node
