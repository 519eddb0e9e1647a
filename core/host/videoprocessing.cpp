#include "host/videoprocessing.h"

#include "video/videoprobe.h"

#include <QtConcurrent>

#include <optional>

namespace deso::host {

VideoProcessing::VideoProcessing(UploadStore &store, QObject *context) : m_store(store), m_context(context)
{
}

VideoProcessing::~VideoProcessing()
{
    *m_alive = false;
}

void VideoProcessing::save(const UploadRecord &record)
{
    // The in-memory record still answers get-video-status; the failure is the
    // operator's to see (a full or read-only disk), and the next save retries.
    if (auto s = m_store.save(record); !s.ok())
        qWarning().noquote() << QStringLiteral("Video %1: %2").arg(record.id, s.error().message);
}

void VideoProcessing::uploadComplete(const std::shared_ptr<UploadRecord> &record)
{
    record->state = VideoState::InProgress;
    save(*record);
    probe(record->id);
}

void VideoProcessing::resumeUnfinished()
{
    for (const auto &r : m_store.all()) {
        if (r->complete() && (r->state == VideoState::PendingUpload || r->state == VideoState::InProgress))
            uploadComplete(r);
    }
}

void VideoProcessing::probe(const QString &id)
{
    using ProbeResult = std::optional<Result<video::VideoInfo>>;
    const QString path = m_store.dataPath(id);
    QtConcurrent::run([path]() -> ProbeResult { return video::VideoProbe::probe(path); })
        .then(m_context, [this, alive = m_alive, id](ProbeResult result) {
            if (!*alive || !result)
                return; // the host stopped meanwhile
            auto record = m_store.byId(id);
            if (!record)
                return; // the upload was deleted meanwhile
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
            save(*record);
        });
}

} // namespace deso::host
