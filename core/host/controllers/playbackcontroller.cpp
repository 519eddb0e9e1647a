#include "host/controllers/playbackcontroller.h"

#include "video/hlstranscoder.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

namespace deso::host {

namespace {

bool isPlaybackId(const QString &id)
{
    static const QRegularExpression re(QStringLiteral("^[0-9a-f]{32}$"));
    return re.match(id).hasMatch();
}

// One path segment of an HLS file or rung folder: no dots at the start, so no
// "..", no hidden files, and nothing outside the video's media folder.
bool isSafeSegment(const QByteArray &s)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$"));
    return re.match(QString::fromLatin1(s)).hasMatch();
}

QByteArray hlsContentType(const QByteArray &file)
{
    if (file.endsWith(".m3u8"))
        return "application/vnd.apple.mpegurl";
    if (file.endsWith(".ts"))
        return "video/mp2t";
    if (file.endsWith(".m4s") || file.endsWith(".mp4"))
        return "video/mp4";
    return {};
}

} // namespace

PlaybackController::PlaybackController(HostStorage &storage) : m_storage(storage), m_store(storage.uploads())
{
}

QByteArray PlaybackController::masterPlaylistPath(const QString &playbackId)
{
    return hlsPrefix() + playbackId.toLatin1() + '/' + video::HlsTranscoder::masterPlaylistName().toLatin1();
}

QByteArray PlaybackController::thumbnailPath(const QString &playbackId)
{
    return "/thumbnails/" + playbackId.toLatin1() + ".jpg";
}

QByteArray PlaybackController::downloadPath(const QString &playbackId)
{
    return "/download/" + playbackId.toLatin1() + ".mp4";
}

std::shared_ptr<UploadRecord> PlaybackController::readyRecord(const QString &playbackId, HttpResponse *notFound) const
{
    auto found = isPlaybackId(playbackId) ? m_store.findByPlaybackId(playbackId) : Result<std::shared_ptr<UploadRecord>>(std::shared_ptr<UploadRecord>());
    if (!found.ok()) {
        *notFound = HttpResponse::error(found.error().httpStatus ? found.error().httpStatus : 503, found.error().message);
        return nullptr;
    }
    auto record = found.value();
    if (!record) {
        *notFound = HttpResponse::error(404, QStringLiteral("No video with playback id %1.").arg(playbackId.left(40)));
        return nullptr;
    }
    if (record->state != VideoState::Ready) {
        *notFound = HttpResponse::error(404, QStringLiteral("Video %1 is not ready to stream yet.").arg(playbackId));
        return nullptr;
    }
    return record;
}

Admission PlaybackController::serve(const HttpRequest &request, const UploadRecord &record, const QString &relativePath,
                                    const QByteArray &contentType, HeaderList headers) const
{
    if (request.method != "GET" && request.method != "HEAD") {
        HttpResponse r = HttpResponse::error(405, QStringLiteral("Processed videos are read with GET or HEAD."));
        r.setHeader("Allow", "GET, HEAD, OPTIONS");
        return Admission::answer(std::move(r));
    }
    // A playbackId's outputs never change once ready.
    headers.prepend({"Cache-Control", "public, max-age=31536000, immutable"});
    return m_storage.serve(request, uploadMediaKey(record.id, relativePath), contentType, headers,
                           QStringLiteral("No such file in this video."));
}

Admission PlaybackController::hls(const HttpRequest &request, const QByteArray &rest) const
{
    const QList<QByteArray> parts = rest.split('/');
    const auto noFile = [] { return Admission::answer(HttpResponse::error(404, QStringLiteral("No HLS file at that path."))); };
    if (parts.size() < 2 || parts.size() > 3)
        return noFile();
    HttpResponse notFound;
    const auto record = readyRecord(QString::fromLatin1(parts[0]), &notFound);
    if (!record)
        return Admission::answer(std::move(notFound));
    QStringList relative;
    for (qsizetype i = 1; i < parts.size(); ++i) {
        if (!isSafeSegment(parts[i]))
            return noFile();
        relative << QString::fromLatin1(parts[i]);
    }
    const QByteArray type = hlsContentType(parts.last());
    if (type.isEmpty())
        return noFile();
    return serve(request, *record, relative.join(QLatin1Char('/')), type);
}

Admission PlaybackController::thumbnail(const HttpRequest &request, const QString &playbackId) const
{
    HttpResponse notFound;
    const auto record = readyRecord(playbackId, &notFound);
    if (!record)
        return Admission::answer(std::move(notFound));
    return serve(request, *record, video::HlsTranscoder::posterName(), "image/jpeg");
}

Admission PlaybackController::download(const HttpRequest &request, const QString &playbackId) const
{
    HttpResponse notFound;
    const auto record = readyRecord(playbackId, &notFound);
    if (!record)
        return Admission::answer(std::move(notFound));
    return serve(request, *record, video::HlsTranscoder::downloadName(), "video/mp4",
                 {{"Content-Disposition", "attachment; filename=\"" + playbackId.toLatin1() + ".mp4\""}});
}

} // namespace deso::host
