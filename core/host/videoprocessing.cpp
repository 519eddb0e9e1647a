#include "host/videoprocessing.h"

#include "host/s3storage.h"
#include "video/videojobpool.h"

#include <QDebug>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMetaObject>
#include <QPointer>
#include <QRandomGenerator>
#include <QStorageInfo>
#include <QTemporaryDir>

namespace deso::host {

namespace {

QString newPlaybackId()
{
    // Unguessable like the video id, and distinct from it (Livepeer's shape).
    quint32 words[4];
    QRandomGenerator::system()->fillRange(words);
    return QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex());
}

// The error a record keeps when processing ran out of disk: the host's fault, not
// the video's, so a restart processes it again (resumeUnfinished).
const QString kErrStorageFull = QStringLiteral("ERR_STORAGE_FULL");

// Less than this free on the outputs' filesystem after a failed write: the disk is full
// (some writers, e.g. the HLS muxer's segment files, report ENOSPC only as a failed write).
constexpr qint64 kNearlyFullBytes = 1024 * 1024;

// Runs on a pool thread: the outputs of one upload, staged then published.
Result<video::VideoInfo> process(HostStorage &storage, const QString &id, const video::HlsOptions &options,
                                 const std::atomic<bool> &cancelled, const video::ProgressCallback &progress)
{
    // Object storage fetches the source here; this folder goes with the job.
    QTemporaryDir scratch(QDir(storage.scratchDir()).filePath(QStringLiteral("job-XXXXXX")));
    if (!scratch.isValid())
        return Error(QStringLiteral("ERR_UNKNOWN"), QStringLiteral("Cannot create a scratch folder to process the video."), 500);
    const auto source = storage.processingSource(id, scratch.path());
    if (!source.ok())
        return source.error();
    if (storage.outputsPublished(id))
        return video::VideoProbe::probe(source.value()); // finished before a restart: keep, do not redo
    const QString staging = storage.outputsStaging(id, scratch.path());
    QDir(staging).removeRecursively(); // an interrupted run's leftovers
    auto out = video::HlsTranscoder::transcode(source.value(), staging, options, &cancelled, progress);
    if (!out.ok()) {
        const QStorageInfo disk(QFileInfo(staging).absolutePath());
        const bool full = out.error().code == video::kErrDiskFull
            || (out.error().code == video::kErrTranscode && disk.isValid() && disk.bytesAvailable() < kNearlyFullBytes);
        QDir(staging).removeRecursively();
        if (full)
            return Error(kErrStorageFull, QStringLiteral("The host's disk is full (no space left on the device), so the video "
                                                         "could not be processed. Its partial outputs were removed and the "
                                                         "upload is kept: free some space and restart the host to process it "
                                                         "again."), 507);
        return out.error();
    }
    if (auto published = storage.publishOutputs(id, staging); !published.ok())
        return published.error();
    return out->source;
}

} // namespace

VideoProcessing::VideoProcessing(HostStorage &storage, QObject *context, int maxConcurrentJobs, video::HlsOptions options)
    : m_storage(storage), m_store(storage.uploads()), m_context(context), m_options(std::move(options)),
      m_pool(std::make_unique<video::VideoJobPool>(maxConcurrentJobs))
{
    m_store.setRemovalObserver([this](const QString &id) { cancel(id); });
    if (m_storage.callsBlock()) {
        m_owner = randomHex(8);
        m_renewTimer = new QTimer(context);
        QObject::connect(m_renewTimer, &QTimer::timeout, context, [this] { renewLeases(); });
        m_renewTimer->start(kProcessingLeaseRenewMs);
    }
}

VideoProcessing::~VideoProcessing()
{
    delete m_renewTimer;
    *m_alive = false;
    m_store.setRemovalObserver({});
    m_pool.reset(); // cancels and waits: no job outlives the store it reads
}

void VideoProcessing::save(const UploadRecord &record)
{
    // The in-memory record still answers get-video-status; the failure is the
    // operator's to see (a full or read-only disk), and the next save retries.
    if (auto s = m_store.save(record); !s.ok())
        qWarning().noquote() << QStringLiteral("Video %1: %2").arg(record.id, s.error().message);
}

namespace {
// A complete upload as its job is queued.
void markQueued(UploadRecord &record)
{
    record.state = VideoState::Queued;
    record.processingProgress = 0;
    record.errorCode.clear(); // a retry after a full disk starts clean
    record.errorMessage.clear();
    if (record.playbackId.isEmpty())
        record.playbackId = newPlaybackId();
}
} // namespace

void VideoProcessing::uploadComplete(const std::shared_ptr<UploadRecord> &record)
{
    markQueued(*record);
    if (!m_storage.callsBlock()) {
        save(*record);
        start(record);
        return;
    }
    // Object storage: the job's lease is taken and the record written off the
    // server thread, and the job starts once they are.
    auto alive = m_alive;
    const QString id = record->id;
    m_claiming.insert(id);
    runStorageWork<bool>(m_storage, m_context, [this, record] { return claimAndQueue(record); },
                         [this, alive, record, id](bool claimed) {
        if (!*alive)
            return;
        m_claiming.remove(id);
        if (claimed) {
            m_held.insert(id);
            start(record);
        }
    });
}

void VideoProcessing::uploadCompleteHere(const std::shared_ptr<UploadRecord> &record)
{
    markQueued(*record);
    if (!claimAndQueue(record))
        return;
    auto alive = m_alive;
    QMetaObject::invokeMethod(m_context, [this, alive, record] {
        if (!*alive)
            return;
        m_held.insert(record->id);
        start(record);
    });
}

bool VideoProcessing::claimAndQueue(const std::shared_ptr<UploadRecord> &record)
{
    auto claimed = m_storage.claimProcessing(record->id, m_owner);
    if (!claimed.ok() || !claimed.value()) {
        qWarning().noquote() << QStringLiteral("Video %1: not processed here: %2")
                                    .arg(record->id, claimed.ok() ? QStringLiteral("another instance holds it") : claimed.error().message);
        return false;
    }
    save(*record);
    return true;
}

void VideoProcessing::takeOver(const QString &id)
{
    if (!m_storage.callsBlock() || m_held.contains(id) || m_claiming.contains(id))
        return;
    m_claiming.insert(id);
    auto alive = m_alive;
    runStorageWork<std::shared_ptr<UploadRecord>>(m_storage, m_context, [this, id]() -> std::shared_ptr<UploadRecord> {
        if (!m_storage.processingAbandoned(id))
            return nullptr;
        auto claimed = m_storage.claimProcessing(id, m_owner);
        if (!claimed.ok() || !claimed.value())
            return nullptr;
        // Under the lease: the record as it is now (the job may have ended meanwhile).
        auto r = m_store.byId(id);
        if (!r || !r->complete()
            || (r->state != VideoState::PendingUpload && r->state != VideoState::Queued && r->state != VideoState::InProgress)) {
            m_storage.releaseProcessing(id, m_owner);
            return nullptr;
        }
        qInfo().noquote() << QStringLiteral("Video %1: taking over its processing (its instance stopped renewing it).").arg(id);
        r->state = VideoState::Queued;
        save(*r);
        return r;
    }, [this, alive, id](std::shared_ptr<UploadRecord> r) {
        if (!*alive)
            return;
        m_claiming.remove(id);
        if (r) {
            m_held.insert(id);
            start(r);
        }
    });
}

void VideoProcessing::renewLeases()
{
    if (m_held.isEmpty())
        return;
    const QStringList ids(m_held.begin(), m_held.end());
    auto alive = m_alive;
    runStorageWork<QStringList>(m_storage, m_context, [this, ids] {
        QStringList lost;
        for (const QString &id : ids) {
            if (auto s = m_storage.renewProcessing(id, m_owner); !s.ok()) {
                qWarning().noquote() << QStringLiteral("Video %1: %2").arg(id, s.error().message);
                if (s.error().code == QLatin1String("host.processing_taken"))
                    lost << id;
            }
        }
        return lost;
    }, [this, alive](QStringList lost) {
        if (!*alive)
            return;
        for (const QString &id : lost) { // another instance runs it now
            m_held.remove(id);
            cancel(id);
        }
    });
}

void VideoProcessing::resumeUnfinished()
{
    for (const auto &r : m_store.all()) {
        const bool unfinished = r->state == VideoState::PendingUpload || r->state == VideoState::Queued
            || r->state == VideoState::InProgress;
        const bool readyWithoutOutputs = r->state == VideoState::Ready && r->playbackId.isEmpty();
        const bool diskWasFull = r->state == VideoState::Error && r->errorCode == kErrStorageFull;
        if (r->complete() && (unfinished || readyWithoutOutputs || diskWasFull))
            uploadComplete(r);
    }
}

void VideoProcessing::cancel(const QString &id)
{
    m_pool->cancel(id);
}

void VideoProcessing::start(const std::shared_ptr<UploadRecord> &record)
{
    const QString id = record->id;
    const QString playbackId = record->playbackId;
    QPointer<QObject> context = m_context;
    auto alive = m_alive;
    // Back on the host's thread: the record is only touched there.
    auto onHostThread = [context, alive](std::function<void()> f) {
        if (context)
            QMetaObject::invokeMethod(context, [alive, f = std::move(f)] {
                if (*alive)
                    f();
            });
    };
    // Object storage: records are read and written here, on the job's thread (each
    // access is a bucket call); progress is not kept (a record re-read per tick).
    const bool recordsHere = m_storage.callsBlock();
    m_pool->submit(id, [this, id, playbackId, options = m_options, onHostThread, recordsHere](const std::atomic<bool> &cancelled) {
        auto markInProgress = [this, id, playbackId] {
            auto r = m_store.byId(id);
            if (r && r->playbackId == playbackId && r->state == VideoState::Queued) {
                r->state = VideoState::InProgress;
                save(*r);
            }
        };
        if (recordsHere)
            markInProgress();
        else
            onHostThread(markInProgress);
        auto progress = [this, id, playbackId, onHostThread, recordsHere](double p) {
            if (recordsHere)
                return;
            onHostThread([this, id, playbackId, p] {
                auto r = m_store.byId(id);
                if (r && r->playbackId == playbackId && r->state == VideoState::InProgress)
                    r->processingProgress = p;
            });
        };
        auto result = process(m_storage, id, options, cancelled, progress);
        if (!result.ok() && result.error().code == video::kErrCancelled) {
            if (recordsHere) { // another instance (or this one, restarted) takes it over at once
                m_storage.releaseProcessing(id, m_owner);
                onHostThread([this, id] { m_held.remove(id); });
            }
            return; // deleted, or the host is stopping: a restart resumes it
        }
        if (recordsHere) {
            finished(id, playbackId, result);
            m_storage.releaseProcessing(id, m_owner);
            onHostThread([this, id] { m_held.remove(id); });
        } else
            onHostThread([this, id, playbackId, result] { finished(id, playbackId, result); });
    });
}

void VideoProcessing::finished(const QString &id, const QString &playbackId, const Result<video::VideoInfo> &result)
{
    auto record = m_store.byId(id);
    if (!record || record->playbackId != playbackId)
        return; // the upload was deleted meanwhile
    if (result.ok()) {
        record->state = VideoState::Ready;
        record->processingProgress = 1.0;
        record->durationSeconds = result->durationSeconds;
        record->width = result->width;
        record->height = result->height;
        record->mimeType = result->mimeType;
        record->errorCode.clear();
        record->errorMessage.clear();
    } else {
        record->state = VideoState::Error;
        const QString code = result.error().code;
        // The node's reason codes; a full disk its own (retried on restart); other
        // engine faults (encoder) are ERR_UNKNOWN.
        record->errorCode = (code == video::kErrNonVideo || code == video::kErrMalformedVideo || code == kErrStorageFull)
            ? code : QStringLiteral("ERR_UNKNOWN");
        record->errorMessage = result.error().message;
    }
    save(*record);
}

} // namespace deso::host
