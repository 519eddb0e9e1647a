#pragma once
// What happens to a video once its last byte is stored: a job on a bounded pool
// (core/video's VideoJobPool, one encode per core by default) turns it into an
// HLS ladder, a poster, thumbnails and a download MP4, stored as the upload's
// outputs in the host's storage (hoststorage.h: the data dir or the bucket).
// The record goes queued -> inprogress (processingProgress 0..1) -> ready, or
// error with the node's reason code (ERR_NON_VIDEO, ERR_MALFORMED_VIDEO) and a
// sentence. Jobs survive a restart: unfinished ones run again from the start,
// finished outputs (published ones) are kept, not redone. A job that ran out of
// disk fails with ERR_STORAGE_FULL and a sentence, its partial outputs removed and
// the upload kept; a restart processes it again. Removing an
// upload cancels its job (the store tells us) before its files go.

#include "host/hoststorage.h"
#include "video/hlstranscoder.h"

#include <QObject>
#include <QSet>
#include <QTimer>

#include <memory>

namespace deso::video {
class VideoJobPool;
}

namespace deso::host {

class VideoProcessing {
public:
    // maxConcurrentJobs 0 = one per core.
    VideoProcessing(HostStorage &storage, QObject *context, int maxConcurrentJobs = 0,
                    video::HlsOptions options = {});
    ~VideoProcessing(); // cancels running jobs and waits for them

    void uploadComplete(const std::shared_ptr<UploadRecord> &record);
    // Object storage, on a storage thread: the same, the job queued in the bucket
    // before this returns (so before the answer to the last byte leaves, and a
    // DELETE after that answer finds the record queued); the job starts on the server thread.
    void uploadCompleteHere(const std::shared_ptr<UploadRecord> &record);
    // Jobs cut short by a stop, uploads whose last byte was recorded just before
    // it, and videos made ready before processing existed (no playbackId).
    void resumeUnfinished();
    // Stops the job of upload `id`, if any; its result is dropped.
    void cancel(const QString &id);
    // Object storage: upload `id` is complete but not processed, and nobody holds
    // its job's lease (the instance running it died): this instance takes it over.
    void takeOver(const QString &id);

private:
    void start(const std::shared_ptr<UploadRecord> &record);
    void finished(const QString &id, const QString &playbackId, const Result<video::VideoInfo> &result);
    void save(const UploadRecord &record);

    HostStorage &m_storage;
    UploadStore &m_store;
    QObject *m_context;
    video::HlsOptions m_options;
    // Results and progress of jobs still running when this object goes are dropped.
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
    std::unique_ptr<video::VideoJobPool> m_pool;
    // Object storage: the jobs this instance holds the lease of (renewed by
    // m_renewTimer), and those it is trying to take over; this instance's name in leases.
    QSet<QString> m_held;
    QSet<QString> m_claiming;
    QString m_owner;
    QTimer *m_renewTimer = nullptr;
    void renewLeases();
    // Object storage, a storage thread: the job's lease taken and the record saved queued.
    bool claimAndQueue(const std::shared_ptr<UploadRecord> &record);
};

} // namespace deso::host
