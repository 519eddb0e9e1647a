#include "host/controllers/videocontroller.h"

#include "host/controllers/playbackcontroller.h"
#include "host/controllers/videoasset.h"

#include <QFileInfo>

namespace deso::host {

VideoController::VideoController(const HostSite &site, HostStorage &storage)
    : m_site(site), m_storage(storage), m_store(storage.uploads())
{
}

double VideoController::completion(const UploadRecord &record)
{
    // While bytes arrive: the upload's share; once complete: processing progress,
    // as the video service reports pctComplete for its inprogress state.
    if (record.state == VideoState::PendingUpload)
        return record.length > 0 ? double(record.offset) / double(record.length) : 1.0;
    if (record.state == VideoState::Ready)
        return 1.0;
    return record.processingProgress;
}

bool VideoController::isVideoId(const QString &id)
{
    // ^[0-9a-z]{25,35}$, checked by hand: every status poll passes here.
    if (id.size() < 25 || id.size() > 35)
        return false;
    for (QChar c : id)
        if (!((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'z')))
            return false;
    return true;
}

HttpResponse VideoController::status(const HttpRequest &request, const QString &id) const
{
    if (!isVideoId(id))
        return HttpResponse::error(400, QStringLiteral("GetVideoStatus: videoId must match [0-9a-z]{25,35}"));
    const auto record = m_store.byId(id);
    if (!record)
        return HttpResponse::error(404, QStringLiteral("GetVideoStatus: no video with id %1").arg(id));
    const bool ready = record->state == VideoState::Ready;
    QJsonObject o{
        {QStringLiteral("ReadyToStream"), ready},
        {QStringLiteral("Duration"), ready ? record->durationSeconds : 0.0},
        {QStringLiteral("Dimensions"), QJsonObject{{QStringLiteral("width"), ready ? record->width : 0},
                                                   {QStringLiteral("height"), ready ? record->height : 0}}},
        {QStringLiteral("state"), videoStateName(record->state)},
        {QStringLiteral("pctComplete"), QString::number(100.0 * completion(*record), 'f', 1)},
    };
    if (record->state == VideoState::Error) {
        o.insert(QStringLiteral("errorReasonCode"), record->errorCode);
        o.insert(QStringLiteral("errorReasonText"), record->errorMessage);
    }
    if (ready) {
        const QByteArray base = m_site.baseUrlFor(request);
        o.insert(QStringLiteral("PlaybackURL"), QString::fromLatin1(base + PlaybackController::masterPlaylistPath(record->playbackId)));
        o.insert(QStringLiteral("ThumbnailURL"), QString::fromLatin1(base + PlaybackController::thumbnailPath(record->playbackId)));
        o.insert(QStringLiteral("DownloadURL"), QString::fromLatin1(base + PlaybackController::downloadPath(record->playbackId)));
    }
    if (!record->playbackId.isEmpty())
        o.insert(QStringLiteral("playbackId"), record->playbackId);
    // One body for both contracts: the media server's Livepeer-style asset beside the node's keys.
    const QJsonObject asset = videoAssetJson(*record, m_site.baseUrlFor(request));
    for (auto it = asset.begin(); it != asset.end(); ++it)
        o.insert(it.key(), it.value());
    return HttpResponse::json(200, o);
}

HttpResponse VideoController::dimensions(const QString &id) const
{
    if (!isVideoId(id))
        return HttpResponse::error(400, QStringLiteral("GetVideoDimensions: videoId must match [0-9a-z]{25,35}"));
    const auto record = m_store.byId(id);
    if (!record)
        return HttpResponse::error(404, QStringLiteral("GetVideoDimensions: no video with id %1").arg(id));
    if (record->state != VideoState::Ready)
        return HttpResponse::error(409, QStringLiteral("GetVideoDimensions: video %1 is %2, not ready")
                                            .arg(id, videoStateName(record->state)));
    return HttpResponse::json(200, QJsonObject{{QStringLiteral("height"), record->height},
                                               {QStringLiteral("width"), record->width}});
}

Admission VideoController::video(const HttpRequest &request, const QString &id) const
{
    if (request.method != "GET" && request.method != "HEAD") {
        HttpResponse r = HttpResponse::error(405, QStringLiteral("Videos are read with GET or HEAD."));
        r.setHeader("Allow", "GET, HEAD, OPTIONS");
        return Admission::answer(std::move(r));
    }
    const auto record = isVideoId(id) ? m_store.byId(id) : nullptr;
    if (!record)
        return Admission::answer(HttpResponse::error(404, QStringLiteral("No video with id %1.").arg(id.left(40))));
    if (record->state != VideoState::Ready)
        return Admission::answer(HttpResponse::error(404, QStringLiteral("Video %1 is not ready to stream yet.").arg(id)));
    // An id's bytes never change.
    return m_storage.serve(request, uploadDataKey(id), record->mimeType.toLatin1(),
                           {{"Cache-Control", "public, max-age=31536000, immutable"}, {"ETag", '"' + id.toLatin1() + '"'}},
                           QStringLiteral("No video with id %1.").arg(id));
}

} // namespace deso::host
