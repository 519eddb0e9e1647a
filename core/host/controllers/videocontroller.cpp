#include "host/controllers/videocontroller.h"

#include "host/controllers/playbackcontroller.h"

#include <QFileInfo>

namespace deso::host {

namespace {
constexpr qsizetype kKeptStatusBodies = 4096;
}

VideoController::VideoController(const HostSite &site, HostStorage &storage)
    : m_site(site), m_storage(storage), m_store(storage.uploads())
{
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
    const auto found = m_store.find(id);
    if (!found.ok())
        return HttpResponse::error(found.error().httpStatus ? found.error().httpStatus : 503,
                                   QStringLiteral("GetVideoStatus: %1").arg(found.error().message));
    const auto &record = found.value();
    if (!record)
        return HttpResponse::error(404, QStringLiteral("GetVideoStatus: no video with id %1").arg(id));
    // Complete but not ready: queued, running, or not even queued (its instance died right after the last byte).
    const bool unfinished = record->state == VideoState::PendingUpload || record->state == VideoState::Queued
        || record->state == VideoState::InProgress;
    if (m_abandonedJob && record->complete() && unfinished && m_storage.processingAbandoned(id))
        m_abandonedJob(id);
    // A ready video's body holds URLs built from how the client reached us; other bodies hold none.
    const VideoStatusInputs inputs =
        VideoStatusInputs::of(*record, record->state == VideoState::Ready ? m_site.baseUrlFor(request) : QByteArray());
    QMutexLocker lock(&m_keptStatusMutex);
    if (m_keptStatus.size() >= kKeptStatusBodies && !m_keptStatus.contains(id))
        m_keptStatus.clear(); // bounded: ids of removed uploads would otherwise stay
    KeptStatus &kept = m_keptStatus[id];
    if (kept.body.isEmpty() || !(kept.inputs == inputs)) {
        kept.inputs = inputs;
        kept.body = videoStatusBody(*record, inputs.baseUrl);
    }
    return HttpResponse::json(200, kept.body);
}

HttpResponse VideoController::dimensions(const QString &id) const
{
    if (!isVideoId(id))
        return HttpResponse::error(400, QStringLiteral("GetVideoDimensions: videoId must match [0-9a-z]{25,35}"));
    const auto found = m_store.find(id);
    if (!found.ok())
        return HttpResponse::error(found.error().httpStatus ? found.error().httpStatus : 503,
                                   QStringLiteral("GetVideoDimensions: %1").arg(found.error().message));
    const auto &record = found.value();
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
    const auto found = isVideoId(id) ? m_store.find(id) : Result<std::shared_ptr<UploadRecord>>(std::shared_ptr<UploadRecord>());
    if (!found.ok())
        return Admission::answer(HttpResponse::error(found.error().httpStatus ? found.error().httpStatus : 503, found.error().message));
    const auto &record = found.value();
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
