#include "host/endpointhost.h"

#include "host/hostlistener.h"
#include "host/multipartform.h"
#include "host/tusheaders.h"
#include "host/tusserver.h"
#include "host/uploadstore.h"
#include "identity/jwt.h"
#include "image/imagepipeline.h"
#include "tiktok/tiktokresolver.h"
#include "video/videoprobe.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QFuture>
#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QRegularExpression>
#include <QSaveFile>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <QtConcurrent>

#include <atomic>
#include <optional>

namespace deso::host {

namespace {

// Bodies QHttpServer may buffer: upload-image's form (the node's 10,000,000-byte
// file limit plus room for the other fields), and small JSON elsewhere.
constexpr qint64 kUploadImageBodyLimit = 10000000 + 1024 * 1024;
constexpr qint64 kSmallBodyLimit = 64 * 1024;

const QByteArray kUploadVideoPath = "/api/v0/upload-video";
const QByteArray kVideosPrefix = "/videos/";

QByteArray shortenedPath(const QByteArray &path)
{
    // Never log a tus token in full: the URL is the credential.
    if (path.startsWith(TusServer::tusPathPrefix()) && path.size() > 5 + 8)
        return path.left(5 + 8) + "...";
    return path;
}

// QHttpServer 6.4 keeps a connection open after answering, whatever the
// "Connection: close" header says, and buffers the next request's whole body:
// a second request on the same connection would bypass the listener's body
// bounds (a 100 MiB POST raised the host's RSS by ~200 MB). Close it ourselves
// once the answer is written (disconnectFromHost sends what is queued first).
void closeAfterAnswer(QTcpSocket *socket)
{
    if (socket)
        socket->disconnectFromHost();
}

bool isVideoIdFormat(const QString &id)
{
    static const QRegularExpression re(QStringLiteral("^[0-9a-z]{25,35}$"));
    return re.match(id).hasMatch();
}

} // namespace

class EndpointHost::Impl : public RawRouter {
public:
    explicit Impl(EndpointHost *q) : q(q) {}

    EndpointHost *q;
    HostConfig config;
    std::atomic<bool> running = false;
    std::atomic<int> boundPort = 0;
    QUrl boundBaseUrl;     // written before `running` turns true
    QThread thread;
    QObject *context = nullptr; // lives in `thread`; parent of everything the server owns
    QTimer *purgeTimer = nullptr;
    UploadStore store;
    std::unique_ptr<TusServer> tus;
    QHttpServer *http = nullptr;
    HostListener *listener = nullptr;
    tiktok::TikTokResolver *resolver = nullptr;
    identity::DerivedKeyAuthorizations authorizations;
    quint64 generation = 0; // guards probe results that arrive after a restart

    QString imagesDir() const { return QDir(config.dataDir).filePath(QStringLiteral("images")); }


    // ---- raw path ----------------------------------------------------------
    bool isRawRoute(const RawRequestHead &head) const override
    {
        const QByteArray path = head.path();
        if (path == kUploadVideoPath || path.startsWith(TusServer::tusPathPrefix()) || path.startsWith(kVideosPrefix))
            return true;
        // Keep bodies QHttpServer would buffer without bound away from it, and lengths
        // it might read differently from us ("2, 67108864", "+5"): one length, one reading.
        if (head.hasHeader("transfer-encoding"))
            return true;
        if (contentLengthCount(head) > 1)
            return true;
        qint64 length = 0;
        if (head.hasHeader("content-length") && !parseTusNumber(head.header("content-length"), &length))
            return true;
        return length > bodyLimitFor(path);
    }

    static int contentLengthCount(const RawRequestHead &head)
    {
        int n = 0;
        for (const auto &h : head.headers)
            n += h.first == "content-length";
        return n;
    }

    static qint64 bodyLimitFor(const QByteArray &path)
    {
        return path == "/api/v0/upload-image" ? kUploadImageBodyLimit : kSmallBodyLimit;
    }

    RawPlan route(const RawRequestHead &head) override
    {
        const QByteArray path = head.path();
        RawPlan plan;
        if (path == kUploadVideoPath) {
            if (head.method == "OPTIONS") {
                plan.response = tus->options();
                return plan;
            }
            if (head.method == "POST")
                return tus->create(head, baseUrlFor(head));
            plan.response = RawResponse::jsonError(405, QStringLiteral("UploadVideo: use POST."));
            plan.response.setHeader("Allow", "POST, OPTIONS");
            return plan;
        }
        if (path.startsWith(TusServer::tusPathPrefix()))
            return tus->handle(head, path.mid(TusServer::tusPathPrefix().size()));
        if (path.startsWith(kVideosPrefix)) {
            plan.response = serveVideo(head, QString::fromLatin1(path.mid(kVideosPrefix.size())));
            return plan;
        }
        qint64 length = 0;
        if (head.hasHeader("transfer-encoding")) {
            plan.response = RawResponse::jsonError(411, QStringLiteral("Send the body with a Content-Length; chunked transfer encoding is not accepted here."));
        } else if (contentLengthCount(head) > 1 || !parseTusNumber(head.header("content-length"), &length)) {
            plan.response = RawResponse::jsonError(400, QStringLiteral("Send one Content-Length, a decimal number of bytes."));
        } else {
            plan.response = RawResponse::jsonError(413, QStringLiteral("The request body is larger than this endpoint accepts (%1 bytes).")
                                                            .arg(bodyLimitFor(path)));
        }
        plan.response.closeConnection = true;
        return plan;
    }

    void decorate(const RawRequestHead &head, RawResponse &response) override
    {
        const QByteArray path = head.path();
        const bool extended = !path.startsWith("/api/");
        for (const auto &h : corsHeaders(head.header("origin"), extended)) {
            bool present = false;
            for (const auto &existing : response.headers)
                present = present || existing.first.compare(h.first, Qt::CaseInsensitive) == 0;
            if (!present)
                response.headers.append(h);
        }
        if (head.method == "OPTIONS")
            response.setHeader("Access-Control-Max-Age", "86400");
    }

    void logged(const RawLogEntry &e) override
    {
        RequestLogEntry entry;
        entry.method = QString::fromLatin1(e.method);
        entry.path = QString::fromLatin1(shortenedPath(e.path));
        entry.status = e.status;
        entry.bytes = e.bytes;
        entry.durationMs = e.durationMs;
        entry.at = QDateTime::currentDateTimeUtc();
        emit q->requestLogged(entry);
    }

    QByteArray fallbackAuthority() const
    {
        QHostAddress a = config.bindAddress;
        if (a == QHostAddress::Any || a == QHostAddress::AnyIPv4 || a == QHostAddress::AnyIPv6 || a.isNull())
            a = QHostAddress::LocalHost;
        const QString host = a.protocol() == QAbstractSocket::IPv6Protocol ? QLatin1Char('[') + a.toString() + QLatin1Char(']')
                                                                           : a.toString();
        return (host + QLatin1Char(':') + QString::number(listener ? listener->serverPort() : 0)).toLatin1();
    }

    QByteArray baseUrlFor(const RawRequestHead &head) const
    {
        return publicBaseUrl(head.header("host"), head.header("x-forwarded-host"), head.header("x-forwarded-proto"),
                             config.trustForwardedHeaders, fallbackAuthority());
    }

    QByteArray baseUrlFor(const QHttpServerRequest &request) const
    {
        return publicBaseUrl(request.value("Host"), request.value("X-Forwarded-Host"), request.value("X-Forwarded-Proto"),
                             config.trustForwardedHeaders, fallbackAuthority());
    }

    RawResponse serveVideo(const RawRequestHead &head, const QString &id)
    {
        if (head.method == "OPTIONS") {
            RawResponse r;
            r.status = 204;
            return r;
        }
        if (head.method != "GET" && head.method != "HEAD") {
            RawResponse r = RawResponse::jsonError(405, QStringLiteral("Videos are read with GET or HEAD."));
            r.setHeader("Allow", "GET, HEAD, OPTIONS");
            return r;
        }
        const auto record = isVideoIdFormat(id) ? store.byId(id) : nullptr;
        if (!record)
            return RawResponse::jsonError(404, QStringLiteral("No video with id %1.").arg(id.left(40)));
        if (record->state != VideoState::Ready)
            return RawResponse::jsonError(404, QStringLiteral("Video %1 is not ready to stream yet.").arg(id));
        const qint64 size = record->length;
        RawResponse r;
        r.filePath = store.dataPath(id);
        r.setHeader("Content-Type", record->mimeType.toLatin1());
        r.setHeader("Accept-Ranges", "bytes");
        r.setHeader("Cache-Control", "public, max-age=31536000, immutable"); // an id's bytes never change
        r.setHeader("ETag", '"' + id.toLatin1() + '"');
        qint64 first = 0, last = size - 1;
        const QByteArray range = head.header("range").trimmed();
        // One byte range is honoured; multi-range or malformed headers get the whole file (RFC 9110 §14.2).
        static const QRegularExpression re(QStringLiteral("^bytes=(\\d{0,18})-(\\d{0,18})$"));
        const auto m = re.match(QString::fromLatin1(range));
        if (m.hasMatch() && !(m.captured(1).isEmpty() && m.captured(2).isEmpty())) {
            const QString a = m.captured(1), b = m.captured(2);
            bool unsatisfiable = false;
            if (a.isEmpty()) {
                const qint64 suffix = b.toLongLong();
                if (suffix == 0 || size == 0)
                    unsatisfiable = true;
                else
                    first = qMax<qint64>(0, size - suffix);
            } else {
                first = a.toLongLong();
                if (!b.isEmpty())
                    last = qMin(b.toLongLong(), size - 1);
                if (first >= size || (!b.isEmpty() && b.toLongLong() < first))
                    unsatisfiable = true;
            }
            if (unsatisfiable) {
                RawResponse bad = RawResponse::jsonError(416, QStringLiteral("The requested range is outside the video."));
                bad.setHeader("Content-Range", "bytes */" + QByteArray::number(size));
                return bad;
            }
            r.status = 206;
            r.setHeader("Content-Range", "bytes " + QByteArray::number(first) + '-' + QByteArray::number(last) + '/'
                                             + QByteArray::number(size));
        }
        r.fileOffset = first;
        r.fileLength = size == 0 ? 0 : last - first + 1;
        return r;
    }

    // ---- video probing -----------------------------------------------------
    void onUploadComplete(const std::shared_ptr<UploadRecord> &record)
    {
        record->state = VideoState::InProgress;
        (void)store.save(*record);
        startProbe(record->id);
    }

    void startProbe(const QString &id)
    {
        using ProbeResult = std::optional<Result<video::VideoInfo>>;
        const QString path = store.dataPath(id);
        const quint64 gen = generation;
        QtConcurrent::run([path]() -> ProbeResult { return video::VideoProbe::probe(path); })
            .then(context, [this, id, gen](ProbeResult result) {
                auto record = store.byId(id);
                if (gen != generation || !record || !result)
                    return; // the host restarted or the upload was deleted meanwhile
                const auto &r = *result;
                if (r.ok()) {
                    record->state = VideoState::Ready;
                    record->durationSeconds = r->durationSeconds;
                    record->width = r->width;
                    record->height = r->height;
                    record->mimeType = r->mimeType;
                    record->errorCode.clear();
                    record->errorMessage.clear();
                } else {
                    record->state = VideoState::Error;
                    record->errorCode = r.error().code;
                    record->errorMessage = r.error().message;
                }
                (void)store.save(*record);
            });
    }

    // ---- QHttpServer path ----------------------------------------------------
    void reply(QHttpServerResponder &responder, const QHttpServerRequest &request, const QElapsedTimer &clock,
               int status, const QByteArray &body, const QByteArray &contentType = "application/json",
               const HeaderList &extra = {})
    {
        HeaderList headers = corsHeaders(request.value("Origin"), request.url().path().startsWith(QLatin1String("/images/")));
        headers += extra;
        if (!contentType.isEmpty())
            headers.emplaceBack("Content-Type", contentType);
        if (status != 204)
            headers.emplaceBack("Content-Length", QByteArray::number(body.size()));
        // QHttpServer buffers whole bodies: never let it own a kept-alive
        // connection on which a client could later send a large upload.
        headers.emplaceBack("Connection", "close");

        // Logged before the answer is written, so whoever reacts to the answer
        // finds the entry already delivered (the log crosses threads, queued).
        RequestLogEntry entry;
        entry.method = methodName(request.method());
        entry.path = request.url().path();
        entry.status = status;
        entry.bytes = request.body().size() + body.size();
        entry.durationMs = clock.elapsed();
        entry.at = QDateTime::currentDateTimeUtc();
        emit q->requestLogged(entry);

        responder.writeStatusLine(QHttpServerResponder::StatusCode(status));
        for (const auto &h : headers)
            responder.writeHeader(h.first, h.second);
        responder.writeBody(body);
        closeAfterAnswer(responder.socket());
    }

    void replyError(QHttpServerResponder &responder, const QHttpServerRequest &request, const QElapsedTimer &clock,
                    int status, const QString &message)
    {
        reply(responder, request, clock, status, jsonErrorBody(message));
    }

    static QString methodName(QHttpServerRequest::Method m)
    {
        switch (m) {
        case QHttpServerRequest::Method::Get: return QStringLiteral("GET");
        case QHttpServerRequest::Method::Put: return QStringLiteral("PUT");
        case QHttpServerRequest::Method::Delete: return QStringLiteral("DELETE");
        case QHttpServerRequest::Method::Post: return QStringLiteral("POST");
        case QHttpServerRequest::Method::Head: return QStringLiteral("HEAD");
        case QHttpServerRequest::Method::Options: return QStringLiteral("OPTIONS");
        case QHttpServerRequest::Method::Patch: return QStringLiteral("PATCH");
        default: return QStringLiteral("OTHER");
        }
    }

    static QByteArray json(const QJsonObject &o) { return QJsonDocument(o).toJson(QJsonDocument::Compact); }

    void setUpRoutes()
    {
        using Method = QHttpServerRequest::Method;
        http->route("/api/v0/get-video-status/<arg>", Method::Get,
                    [this](const QString &id, const QHttpServerRequest &request, QHttpServerResponder &&responder) {
                        QElapsedTimer clock;
                        clock.start();
                        if (!isVideoIdFormat(id))
                            return replyError(responder, request, clock, 400,
                                              QStringLiteral("GetVideoStatus: videoId must match [0-9a-z]{25,35}"));
                        const auto record = store.byId(id);
                        if (!record)
                            return replyError(responder, request, clock, 404,
                                              QStringLiteral("GetVideoStatus: no video with id %1").arg(id));
                        const bool ready = record->state == VideoState::Ready;
                        QJsonObject o{
                            {QStringLiteral("ReadyToStream"), ready},
                            {QStringLiteral("Duration"), ready ? record->durationSeconds : 0.0},
                            {QStringLiteral("Dimensions"), QJsonObject{{QStringLiteral("width"), ready ? record->width : 0},
                                                                       {QStringLiteral("height"), ready ? record->height : 0}}},
                            {QStringLiteral("state"), videoStateName(record->state)},
                            {QStringLiteral("pctComplete"),
                             record->length > 0 ? QString::number(100.0 * double(record->offset) / double(record->length), 'f', 1)
                                                : QStringLiteral("100.0")},
                        };
                        if (record->state == VideoState::Error) {
                            o.insert(QStringLiteral("errorReasonCode"), record->errorCode);
                            o.insert(QStringLiteral("errorReasonText"), record->errorMessage);
                        }
                        if (ready)
                            o.insert(QStringLiteral("PlaybackURL"),
                                     QString::fromLatin1(baseUrlFor(request) + kVideosPrefix + id.toLatin1()));
                        reply(responder, request, clock, 200, json(o));
                    });
        http->route("/api/v0/get-video-dimensions/<arg>", Method::Get,
                    [this](const QString &id, const QHttpServerRequest &request, QHttpServerResponder &&responder) {
                        QElapsedTimer clock;
                        clock.start();
                        if (!isVideoIdFormat(id))
                            return replyError(responder, request, clock, 400,
                                              QStringLiteral("GetVideoDimensions: videoId must match [0-9a-z]{25,35}"));
                        const auto record = store.byId(id);
                        if (!record)
                            return replyError(responder, request, clock, 404,
                                              QStringLiteral("GetVideoDimensions: no video with id %1").arg(id));
                        if (record->state != VideoState::Ready)
                            return replyError(responder, request, clock, 409,
                                              QStringLiteral("GetVideoDimensions: video %1 is %2, not ready")
                                                  .arg(id, videoStateName(record->state)));
                        reply(responder, request, clock, 200,
                              json(QJsonObject{{QStringLiteral("height"), record->height},
                                               {QStringLiteral("width"), record->width}}));
                    });
        http->route("/api/v0/get-full-tiktok-url", Method::Post,
                    [this](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
                        handleTikTok(request, std::move(responder));
                    });
        http->route("/images/<arg>", Method::Get,
                    [this](const QString &name, const QHttpServerRequest &request, QHttpServerResponder &&responder) {
                        QElapsedTimer clock;
                        clock.start();
                        static const QRegularExpression re(QStringLiteral("^[0-9a-f]{64}\\.(webp|gif)$"));
                        const auto m = re.match(name);
                        QFile f(QDir(imagesDir()).filePath(name));
                        if (!m.hasMatch() || !f.open(QIODevice::ReadOnly))
                            return replyError(responder, request, clock, 404, QStringLiteral("No image named %1.").arg(name.left(80)));
                        const QByteArray type = m.captured(1) == QLatin1String("gif") ? "image/gif" : "image/webp";
                        // Names are content addresses: the bytes behind a name never change.
                        reply(responder, request, clock, 200, f.readAll(), type,
                              {{"Cache-Control", "public, max-age=31536000, immutable"},
                               {"ETag", '"' + name.toLatin1() + '"'}});
                    });
        setUpImageRoute();
        http->setMissingHandler([this](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
            QElapsedTimer clock;
            clock.start();
            if (request.method() == QHttpServerRequest::Method::Options)
                return reply(responder, request, clock, 204, {}, {}, {{"Access-Control-Max-Age", "86400"}});
            replyError(responder, request, clock, 404, QStringLiteral("No endpoint at %1.").arg(request.url().path().left(200)));
        });
    }

    void setUpImageRoute();
    Status startInThread(const HostConfig &config);
    void stopInThread();

    void handleTikTok(const QHttpServerRequest &request, QHttpServerResponder &&responder)
    {
        QElapsedTimer clock;
        clock.start();
        QJsonParseError parseError{};
        const QJsonDocument doc = QJsonDocument::fromJson(request.body(), &parseError);
        if (parseError.error != QJsonParseError::NoError || !doc.isObject())
            return replyError(responder, request, clock, 400,
                              QStringLiteral("GetFullTikTokURL: Problem parsing request body: %1")
                                  .arg(parseError.error != QJsonParseError::NoError ? parseError.errorString()
                                                                                    : QStringLiteral("not a JSON object")));
        const QString shortId = doc.object().value(QStringLiteral("TikTokShortVideoID")).toString();
        // The responder is kept until the resolver answers; the socket may go
        // away meanwhile (client gave up), so check before writing.
        auto held = std::make_shared<QHttpServerResponder>(std::move(responder));
        QPointer<QTcpSocket> socket(held->socket());
        auto method = request.method();
        auto path = request.url().path();
        auto origin = request.value("Origin");
        resolver->resolve(shortId, [this, held, socket, clock, method, path, origin](Result<QString> result) {
            if (!socket)
                return;
            const int status = result.ok() ? 200 : result.error().httpStatus;
            const QByteArray body = result.ok() ? json(QJsonObject{{QStringLiteral("FullTikTokURL"), result.value()}})
                                                : jsonErrorBody(result.error().message);
            HeaderList headers = corsHeaders(origin, false);
            headers.emplaceBack("Content-Type", "application/json");
            headers.emplaceBack("Content-Length", QByteArray::number(body.size()));
            headers.emplaceBack("Connection", "close");
            RequestLogEntry entry{methodName(method), path, status, qint64(body.size()), clock.elapsed(),
                                  QDateTime::currentDateTimeUtc()};
            emit q->requestLogged(entry);
            held->writeStatusLine(QHttpServerResponder::StatusCode(status));
            for (const auto &h : headers)
                held->writeHeader(h.first, h.second);
            held->writeBody(body);
            closeAfterAnswer(socket);
        });
    }
};

void EndpointHost::Impl::setUpImageRoute()
{
    // The node's checks, in the node's order, with its sentences; then the image
    // pipeline (magic bytes, pixel-flood guard, WebP) off the server thread.
    http->route("/api/v0/upload-image", QHttpServerRequest::Method::Post,
                [this](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
        QElapsedTimer clock;
        clock.start();
        auto form = parseMultipartForm(request.value("Content-Type"), request.body());
        if (!form.ok())
            return replyError(responder, request, clock, 400,
                              QStringLiteral("UploadImage: Problem parsing multipart form data: %1").arg(form.error().message));
        auto queryOr = [&](const QString &name) {
            const QString v = form->value(name);
            return v.isNull() ? request.query().queryItemValue(name, QUrl::FullyDecoded) : v;
        };
        const QString jwt = queryOr(QStringLiteral("JWT"));
        const QString publicKey = queryOr(QStringLiteral("UserPublicKeyBase58Check"));
        if (jwt.isNull())
            return replyError(responder, request, clock, 400, QStringLiteral("No JWT provided"));
        if (publicKey.isNull())
            return replyError(responder, request, clock, 400, QStringLiteral("No public key provided"));
        identity::JwtVerifyOptions verify;
        verify.authorizations = &authorizations;
        if (auto claims = identity::verifyJwt(jwt, publicKey, verify); !claims.ok())
            return replyError(responder, request, clock, 400,
                              QStringLiteral("UploadImage: Invalid token: %1").arg(claims.error().message));
        const FormFile *file = form->file(QStringLiteral("file"));
        if (!file)
            return replyError(responder, request, clock, 400,
                              QStringLiteral("UploadImage: Problem getting file from form data: http: no such file"));
        if (file->data.size() > image::kMaxUploadBytes)
            return replyError(responder, request, clock, 400, QStringLiteral("File too large."));
        static const QList<QByteArray> accepted{"image/gif", "image/jpeg", "image/png", "image/webp"};
        if (!accepted.contains(file->contentType))
            return replyError(responder, request, clock, 400,
                              QStringLiteral("UploadImage: problem extracting file extension: Mime type not supported: %1")
                                  .arg(QString::fromLatin1(file->contentType)));

        const QByteArray bytes = file->data;
        const QString declared = QString::fromLatin1(file->contentType);
        const QString dir = imagesDir();
        const QByteArray base = baseUrlFor(request);
        auto held = std::make_shared<QHttpServerResponder>(std::move(responder));
        QPointer<QTcpSocket> socket(held->socket());
        const QString origin = QString::fromLatin1(request.value("Origin"));
        const qint64 received = request.body().size();
        QtConcurrent::run([bytes, declared, dir]() -> Result<image::ProcessedImage> {
            auto processed = image::ImagePipeline::process(bytes, declared);
            if (!processed.ok())
                return processed;
            // Content-addressed: an existing file with this name holds these bytes.
            const QString path = QDir(dir).filePath(processed->name);
            if (!QFileInfo::exists(path)) {
                QSaveFile f(path);
                if (!f.open(QIODevice::WriteOnly) || f.write(processed->bytes) != processed->bytes.size() || !f.commit())
                    return Error(QStringLiteral("host.storage"), QStringLiteral("could not store the image"), 500);
            }
            return processed;
        }).then(context, [this, held, socket, clock, base, origin, received](Result<image::ProcessedImage> result) {
            if (!socket)
                return; // the client went away
            int status = 200;
            QByteArray body;
            if (result.ok()) {
                body = json(QJsonObject{{QStringLiteral("ImageURL"),
                                         QString::fromLatin1(base) + QStringLiteral("/images/") + result->name}});
            } else {
                status = result.error().httpStatus ? result.error().httpStatus : 400;
                body = jsonErrorBody(QStringLiteral("UploadImage: problem uploading image: %1").arg(result.error().message));
            }
            HeaderList headers = corsHeaders(origin.toLatin1(), false);
            headers.emplaceBack("Content-Type", "application/json");
            headers.emplaceBack("Content-Length", QByteArray::number(body.size()));
            headers.emplaceBack("Connection", "close");
            emit q->requestLogged(RequestLogEntry{QStringLiteral("POST"), QStringLiteral("/api/v0/upload-image"), status,
                                                  received + body.size(), clock.elapsed(), QDateTime::currentDateTimeUtc()});
            held->writeStatusLine(QHttpServerResponder::StatusCode(status));
            for (const auto &h : headers)
                held->writeHeader(h.first, h.second);
            held->writeBody(body);
            closeAfterAnswer(socket);
        });
    });
}

EndpointHost::EndpointHost(QObject *parent) : QObject(parent), d(std::make_unique<Impl>(this))
{
    qRegisterMetaType<RequestLogEntry>();
    // The server (sockets, tus disk writes and fsyncs, QHttpServer handlers) runs
    // on its own thread so a GUI owner stays responsive during uploads.
    d->thread.setObjectName(QStringLiteral("EndpointHost"));
    d->context = new QObject;
    d->context->moveToThread(&d->thread);
    connect(&d->thread, &QThread::finished, d->context, &QObject::deleteLater);
    d->thread.start();
}

EndpointHost::~EndpointHost()
{
    stop();
    d->thread.quit();
    d->thread.wait();
}

template <typename F>
static auto runIn(QThread &thread, QObject *context, F f)
{
    if (QThread::currentThread() == &thread)
        return f();
    decltype(f()) result{};
    QMetaObject::invokeMethod(context, [&] { result = f(); }, Qt::BlockingQueuedConnection);
    return result;
}

Status EndpointHost::start(const HostConfig &config)
{
    if (d->running)
        return Error(QStringLiteral("host.running"), QStringLiteral("The endpoint host is already running."));
    if (config.dataDir.isEmpty())
        return Error(QStringLiteral("host.data_dir"), QStringLiteral("The endpoint host needs a data directory."));
    if (!config.bindAddress.isLoopback() && !config.allowNonLoopback)
        return Error(QStringLiteral("host.non_loopback"),
                     QStringLiteral("Refusing to listen on %1, which is not a loopback address; allow remote access explicitly to do that.")
                         .arg(config.bindAddress.toString()));
    return runIn(d->thread, d->context, [&] { return d->startInThread(config); });
}

Status EndpointHost::Impl::startInThread(const HostConfig &newConfig)
{
    config = newConfig;
    authorizations = {};
    if (!config.derivedKeyAuthorizationsPath.isEmpty()) {
        auto loaded = identity::DerivedKeyAuthorizations::fromFile(config.derivedKeyAuthorizationsPath);
        if (!loaded.ok())
            return loaded.error();
        authorizations = loaded.value();
    }
    if (auto s = store.open(QDir(config.dataDir).filePath(QStringLiteral("uploads"))); !s.ok())
        return s;
    if (!QDir().mkpath(imagesDir()))
        return Error(QStringLiteral("host.data_dir"), QStringLiteral("Cannot create %1.").arg(imagesDir()));

    TusConfig tusConfig;
    tusConfig.enforceProductionChunkRules = config.enforceProductionChunkRules;
    tusConfig.expirySeconds = config.uploadExpirySeconds;
    tus = std::make_unique<TusServer>(store, tusConfig,
                                      [this](const std::shared_ptr<UploadRecord> &r) { onUploadComplete(r); });

    http = new QHttpServer(context);
    setUpRoutes();
    listener = new HostListener(this, http);
    if (!listener->listen(config.bindAddress, config.port)) {
        const QString why = listener->errorString();
        delete http;
        http = nullptr;
        listener = nullptr;
        tus.reset();
        return Error(QStringLiteral("host.listen"), QStringLiteral("Cannot listen on %1 port %2: %3")
                                                        .arg(config.bindAddress.toString()).arg(config.port).arg(why));
    }
    http->bind(listener);

    tiktok::TikTokResolverOptions tiktokOptions;
    tiktokOptions.shortLinkBase = config.tiktokShortLinkBase;
    tiktokOptions.allowLoopbackBaseForTests = config.tiktokAllowLoopbackForTests;
    resolver = new tiktok::TikTokResolver(tiktokOptions, context);

    ++generation;
    boundPort = listener->serverPort();
    boundBaseUrl = QUrl(QString::fromLatin1("http://" + fallbackAuthority()));
    running = true;
    // Finish what a previous run left: probes cut short, and uploads whose last
    // byte was recorded just before the host stopped.
    for (const auto &r : store.all()) {
        if (r->complete() && (r->state == VideoState::PendingUpload || r->state == VideoState::InProgress))
            onUploadComplete(r);
    }
    store.purgeExpired(QDateTime::currentDateTimeUtc());
    purgeTimer = new QTimer(context);
    QObject::connect(purgeTimer, &QTimer::timeout, context, [this] { store.purgeExpired(QDateTime::currentDateTimeUtc()); });
    purgeTimer->start(60 * 1000);
    return {};
}

void EndpointHost::stop()
{
    if (!d->running)
        return;
    runIn(d->thread, d->context, [this] {
        d->stopInThread();
        return 0;
    });
}

void EndpointHost::Impl::stopInThread()
{
    running = false;
    delete purgeTimer;
    purgeTimer = nullptr;
    // Pending TikTok answers hold responders on QHttpServer's sockets: drop them first.
    delete resolver;
    resolver = nullptr;
    // Deleting the server closes every connection; bodies mid-stream are kept
    // up to the bytes received (their sinks commit on destruction).
    delete http;
    http = nullptr;
    listener = nullptr;
    tus.reset();
    ++generation;
    boundPort = 0;
}

bool EndpointHost::isRunning() const
{
    return d->running;
}

QUrl EndpointHost::baseUrl() const
{
    return d->running ? d->boundBaseUrl : QUrl();
}

quint16 EndpointHost::port() const
{
    return d->running ? quint16(d->boundPort) : quint16(0);
}

const HostConfig &EndpointHost::config() const
{
    return d->config;
}

int EndpointHost::purgeExpiredUploads()
{
    if (!d->running)
        return 0;
    return runIn(d->thread, d->context, [this] { return int(d->store.purgeExpired(QDateTime::currentDateTimeUtc()).size()); });
}

} // namespace deso::host
