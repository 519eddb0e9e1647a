#include "host/endpointrouter.h"

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
    if (path.startsWith(TusServer::tusPathPrefix()))
        return m_c.tus->handle(request, path.mid(TusServer::tusPathPrefix().size()));
    if (path == uploadVideoPath()) {
        if (method == "OPTIONS")
            return Admission::answer(m_c.tus->options());
        // Current apps post the whole file as a form; tus clients create an upload.
        if (method == "POST" && MediaServerController::isMultipart(request))
            return m_c.media->upload(request);
        if (method == "POST")
            return m_c.tus->create(request, m_site.baseUrlFor(request));
        return Admission::answer(methodNotAllowed("POST, OPTIONS"));
    }
    if (segmentAfter(path, MediaServerController::directUploadPrefix().constData(), &arg) && method != "OPTIONS")
        return m_c.media->directUpload(request, arg);
    if (method == "OPTIONS") // CORS preflight anywhere else
        return Admission::answer(HttpResponse::noContent());
    if (segmentAfter(path, "/api/v0/get-video-status/", &arg))
        return Admission::answer(read ? m_c.videos->status(request, arg) : methodNotAllowed("GET, HEAD, OPTIONS"));
    if (segmentAfter(path, "/api/v0/get-video-dimensions/", &arg))
        return Admission::answer(read ? m_c.videos->dimensions(arg) : methodNotAllowed("GET, HEAD, OPTIONS"));
    if (segmentAfter(path, MediaServerController::enableDownloadPrefix().constData(), &arg))
        return Admission::answer(method == "POST" ? m_c.media->enableDownload(request, arg) : methodNotAllowed("POST, OPTIONS"));
    if (path == "/api/v0/upload-image")
        return method == "POST" ? m_c.images->upload(request) : Admission::answer(methodNotAllowed("POST, OPTIONS"));
    if (path == "/api/v0/get-full-tiktok-url")
        return method == "POST" ? m_c.tiktok->resolve(kSmallBodyLimit) : Admission::answer(methodNotAllowed("POST, OPTIONS"));
    if (segmentAfter(path, VideoController::videosPrefix().constData(), &arg))
        return m_c.videos->video(request, arg);
    if (path.startsWith(PlaybackController::hlsPrefix()))
        return m_c.playback->hls(request, path.mid(PlaybackController::hlsPrefix().size()));
    if (segmentAfter(path, "/thumbnails/", &arg) && arg.endsWith(QLatin1String(".jpg")))
        return m_c.playback->thumbnail(request, arg.chopped(4));
    if (segmentAfter(path, "/download/", &arg) && arg.endsWith(QLatin1String(".mp4")))
        return m_c.playback->download(request, arg.chopped(4));
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
    for (const auto &h : m_browsers.corsFor(request ? request->header("origin") : QByteArray(), extended)) {
        if (response.header(h.first).isNull())
            response.headers.append(h);
    }
    if (request && request->method == "OPTIONS")
        response.setHeader("Access-Control-Max-Age", "86400");
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
