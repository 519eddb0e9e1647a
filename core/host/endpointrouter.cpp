#include "host/endpointrouter.h"

#include "host/http/pendingadmission.h"

#include <limits>

namespace deso::host {

namespace {

// The part of `path` after `prefix` when it is one non-empty segment.
bool segmentAfter(const QByteArray &path, const char *prefix, QString *segment)
{
    if (!path.startsWith(prefix))
        return false;
    const QByteArray rest = path.mid(qsizetype(qstrlen(prefix)));
    if (rest.isEmpty() || rest.contains('/'))
        return false;
    *segment = QString::fromLatin1(rest);
    return true;
}

HttpResponse methodNotAllowed(const QByteArray &allow)
{
    HttpResponse r = HttpResponse::error(405, QStringLiteral("This endpoint accepts %1.").arg(QString::fromLatin1(allow)));
    r.setHeader("Allow", allow);
    return r;
}

QByteArray shortenedPath(const QByteArray &path)
{
    // Never log a tus token in full: the URL is the credential.
    if (path.startsWith(TusServer::tusPathPrefix()) && path.size() > 5 + 8)
        return path.left(5 + 8) + "...";
    const QByteArray direct = MediaServerController::directUploadPrefix();
    if (path.startsWith(direct) && path.size() > direct.size() + 8)
        return path.left(direct.size() + 8) + "...";
    return path;
}

} // namespace

EndpointRouter::EndpointRouter(const HostSite &site, Controllers controllers, LogSink log)
    : m_site(site), m_browsers(site.config), m_c(controllers), m_log(std::move(log))
{
}

Admission EndpointRouter::decided(const HttpRequest &request, Decision decide)
{
    if (!m_c.storage || !m_c.storage->callsBlock())
        return decide(request);
    return PendingAdmission::admission(request, [storage = m_c.storage, context = m_c.context, request,
                                                 decide = std::move(decide)](PendingAdmission::Decide take) {
        runStorageWork<Admission>(*storage, context, [decide, request] { return decide(request); }, take);
    });
}

Admission EndpointRouter::answered(const HttpRequest &request, std::function<HttpResponse(const HttpRequest &)> answer)
{
    return decided(request, [answer = std::move(answer)](const HttpRequest &r) { return Admission::answer(answer(r)); });
}

Admission EndpointRouter::admit(const HttpRequest &request)
{
    const QByteArray path = request.path();
    const QByteArray &method = request.method;
    const bool read = method == "GET" || method == "HEAD";
    QString arg;

    // Web pages in the user's browser: rebinding and foreign origins (browserpolicy.h).
    if (auto refusal = m_browsers.refusal(request)) {
        Admission a = Admission::answer(std::move(*refusal));
        a.maxBodyBytes = std::numeric_limits<qint64>::max(); // refused from the head, body unread
        return a;
    }
    if (path.startsWith(TusServer::tusPathPrefix())) {
        if (method == "OPTIONS")
            return Admission::answer(m_c.tus->options());
        return decided(request, [tus = m_c.tus, token = path.mid(TusServer::tusPathPrefix().size())](const HttpRequest &request) {
            return tus->handle(request, token);
        });
    }
    if (path == uploadVideoPath()) {
        if (method == "OPTIONS")
            return Admission::answer(m_c.tus->options());
        // Current apps post the whole file as a form; tus clients create an upload.
        if (method == "POST" && MediaServerController::isMultipart(request))
            return m_c.media->upload(request);
        if (method == "POST")
            return decided(request, [tus = m_c.tus, base = m_site.baseUrlFor(request)](const HttpRequest &request) { return tus->create(request, base); });
        return Admission::answer(methodNotAllowed("POST, OPTIONS"));
    }
    if (segmentAfter(path, MediaServerController::directUploadPrefix().constData(), &arg) && method != "OPTIONS")
        return m_c.media->directUpload(request, arg);
    if (method == "OPTIONS") // CORS preflight anywhere else
        return Admission::answer(HttpResponse::noContent());
    if (segmentAfter(path, "/api/v0/get-video-status/", &arg)) {
        if (!read)
            return Admission::answer(methodNotAllowed("GET, HEAD, OPTIONS"));
        return answered(request, [videos = m_c.videos, arg](const HttpRequest &request) { return videos->status(request, arg); });
    }
    if (segmentAfter(path, "/api/v0/get-video-dimensions/", &arg)) {
        if (!read)
            return Admission::answer(methodNotAllowed("GET, HEAD, OPTIONS"));
        return answered(request, [videos = m_c.videos, arg](const HttpRequest &) { return videos->dimensions(arg); });
    }
    if (segmentAfter(path, MediaServerController::enableDownloadPrefix().constData(), &arg)) {
        if (method != "POST")
            return Admission::answer(methodNotAllowed("POST, OPTIONS"));
        return answered(request, [media = m_c.media, arg](const HttpRequest &request) { return media->enableDownload(request, arg); });
    }
    if (path == "/api/v0/upload-image")
        return method == "POST" ? m_c.images->upload(request) : Admission::answer(methodNotAllowed("POST, OPTIONS"));
    if (path == "/api/v0/get-full-tiktok-url")
        return method == "POST" ? m_c.tiktok->resolve(kSmallBodyLimit) : Admission::answer(methodNotAllowed("POST, OPTIONS"));
    if (segmentAfter(path, VideoController::videosPrefix().constData(), &arg))
        return decided(request, [videos = m_c.videos, arg](const HttpRequest &request) { return videos->video(request, arg); });
    if (path.startsWith(PlaybackController::hlsPrefix()))
        return decided(request, [playback = m_c.playback, rest = path.mid(PlaybackController::hlsPrefix().size())](const HttpRequest &request) {
            return playback->hls(request, rest);
        });
    if (segmentAfter(path, "/thumbnails/", &arg) && arg.endsWith(QLatin1String(".jpg")))
        return decided(request, [playback = m_c.playback, id = arg.chopped(4)](const HttpRequest &request) { return playback->thumbnail(request, id); });
    if (segmentAfter(path, "/download/", &arg) && arg.endsWith(QLatin1String(".mp4")))
        return decided(request, [playback = m_c.playback, id = arg.chopped(4)](const HttpRequest &request) { return playback->download(request, id); });
    if (segmentAfter(path, "/images/", &arg))
        return read ? m_c.images->image(request, arg) : Admission::answer(methodNotAllowed("GET, HEAD, OPTIONS"));
    return Admission::answer(HttpResponse::error(404, QStringLiteral("No endpoint at %1.").arg(QString::fromLatin1(path.left(200)))));
}

void EndpointRouter::decorate(const HttpRequest *request, HttpResponse &response)
{
    const QByteArray path = request ? request->path() : QByteArray();
    // The tus URL, videos and images are read by browser players and tus clients:
    // they get the extended CORS set (PATCH/HEAD, exposed tus and range headers).
    const bool extended = request && !path.startsWith("/api/");
    const HeaderList cors = m_browsers.corsFor(request ? request->header("origin") : QByteArray(), extended);
    response.headers.reserve(response.headers.size() + cors.size());
    for (const auto &h : cors) {
        if (response.header(h.first).isNull())
            response.headers.append(h);
    }
    if (request && request->method == "OPTIONS")
        response.setHeader("Access-Control-Max-Age", "86400");
    // The host's storage unreachable (or the host stopping): when to try again.
    if (response.status == 503 && response.header("Retry-After").isNull())
        response.setHeader("Retry-After", "5");
}

void EndpointRouter::logged(const HttpLogEntry &e)
{
    if (!m_log)
        return;
    RequestLogEntry entry;
    entry.method = QString::fromLatin1(e.method);
    entry.path = QString::fromLatin1(shortenedPath(e.path));
    entry.status = e.status;
    entry.bytes = e.bytes;
    entry.durationMs = e.durationMs;
    entry.at = QDateTime::currentDateTimeUtc();
    m_log(entry);
}

} // namespace deso::host
