#include "queueuploader.h"

#include "image/acceptablefile.h"
#include "mediaqueuemodel.h"
#include "node/nodeclient.h"
#include "node/videostatuspoller.h"
#include "tus/tusuploader.h"

#include <QDir>
#include <QFileInfo>
#include <QtConcurrent>

using deso::node::NodeClient;
using deso::node::VideoStatus;
using deso::node::VideoStatusPoller;
using deso::tus::TusUploader;
using State = MediaQueueModel::State;
using Kind = MediaQueueModel::Kind;

struct QueueUploader::Job {
    enum class Phase { Waiting, Preparing, Sending, Paused, Polling };
    Phase phase = Phase::Waiting;
    QObject *context = nullptr;  // owns the clients; deleting it aborts requests and drops callbacks
    QPointer<TusUploader> tus;
    QPointer<VideoStatusPoller> poller;
    QString sentPath;            // the file being sent (images may be a prepared copy)
};

namespace {
// What the node says about a video, in words.
QString describeStatus(const VideoStatus &s)
{
    QString state = s.state;
    if (state.isEmpty())
        state = s.raw.value(QStringLiteral("state")).toString();
    if (s.readyToStream)
        return QObject::tr("ready to stream (%1 s, %2×%3)").arg(s.duration, 0, 'f', 1).arg(s.width).arg(s.height);
    if (s.isError() || state == QLatin1String("error"))
        return QObject::tr("error: %1").arg(s.errorMessage.isEmpty() ? s.errorCode : s.errorMessage);
    if (state.isEmpty())
        return QObject::tr("processing");
    const QString pct = s.raw.value(QStringLiteral("pctComplete")).toString();
    return pct.isEmpty() ? QObject::tr("processing (%1)").arg(state)
                         : QObject::tr("processing (%1, %2 %)").arg(state, pct);
}

QString streamUrl(const VideoStatus &s)
{
    // A host that serves the video says where; the production node's videos stream
    // from the video service's player, keyed by the same id.
    if (!s.playbackUrl.isEmpty())
        return s.playbackUrl;
    for (const char *key : {"PlaybackURL", "PlaybackUrl", "StreamURL"}) {
        const QString url = s.raw.value(QLatin1String(key)).toString();
        if (!url.isEmpty())
            return url;
    }
    return QStringLiteral("https://iframe.videodelivery.net/%1").arg(s.videoId);
}
} // namespace

QueueUploader::QueueUploader(MediaQueueModel *model, QObject *parent)
    : QObject(parent), m_model(model), m_client(new NodeClient(QUrl(), this))
{
    connect(m_client, &NodeClient::imageUploadProgress, this, [this](const QString &path, qint64 sent, qint64 total) {
        for (auto it = m_jobs.cbegin(); it != m_jobs.cend(); ++it)
            if (it.value()->sentPath == path && it.value()->phase == Job::Phase::Sending)
                m_model->setProgress(it.key(), sent, total);
    });
    // Rows removed from the queue take their uploads with them.
    connect(m_model, &QAbstractItemModel::rowsAboutToBeRemoved, this, [this](const QModelIndex &, int first, int last) {
        for (int row = first; row <= last; ++row) {
            const QString id = m_model->item(row).id;
            m_pending.removeAll(id);
            if (Job *job = m_jobs.take(id)) {
                delete job->context;
                delete job;
            }
        }
    });
}

QueueUploader::~QueueUploader()
{
    for (Job *job : std::as_const(m_jobs)) {
        delete job->context;
        delete job;
    }
}

void QueueUploader::setNodeUrl(const QUrl &baseUrl)
{
    m_client->setBaseUrl(baseUrl);
}

QUrl QueueUploader::nodeUrl() const
{
    return m_client->baseUrl();
}

void QueueUploader::setCredentialsProvider(std::function<deso::Result<UploadCredentials>()> provider)
{
    m_credentials = std::move(provider);
}

int QueueUploader::activeCount() const
{
    int n = 0;
    for (const Job *job : m_jobs)
        n += (job->phase == Job::Phase::Preparing || job->phase == Job::Phase::Sending) ? 1 : 0;
    return n;
}

bool QueueUploader::canStart(const QString &id) const
{
    const auto *it = m_model->find(id);
    return it && it->state == State::Waiting && !m_jobs.contains(id) && !m_pending.contains(id);
}

bool QueueUploader::canPause(const QString &id) const
{
    const Job *job = m_jobs.value(id);
    return job && job->tus && job->phase == Job::Phase::Sending;
}

bool QueueUploader::canResume(const QString &id) const
{
    const auto *it = m_model->find(id);
    if (!it || it->state != State::Paused)
        return false;
    const Job *job = m_jobs.value(id);
    return !job || job->phase == Job::Phase::Paused;
}

bool QueueUploader::canCancel(const QString &id) const
{
    const Job *job = m_jobs.value(id);
    return m_pending.contains(id)
           || (job && (job->phase == Job::Phase::Preparing || job->phase == Job::Phase::Sending
                       || job->phase == Job::Phase::Paused));
}

bool QueueUploader::canRetry(const QString &id) const
{
    const auto *it = m_model->find(id);
    return it && it->state == State::Failed && !m_jobs.contains(id);
}

void QueueUploader::start(const QString &id)
{
    if (!canStart(id))
        return;
    if (!m_client->baseUrl().isValid() || m_client->baseUrl().isEmpty()) {
        fail(id, tr("No node is chosen: set a node URL in Node & identity, or start the local host."));
        return;
    }
    m_pending.append(id);
    m_model->setState(id, State::Waiting, tr("Queued; starts when a slot is free"));
    pump();
}

void QueueUploader::startAll()
{
    for (int row = 0; row < m_model->rowCount(); ++row) {
        const auto &it = m_model->item(row);
        if (it.state == State::Waiting)
            start(it.id);
        else if (it.state == State::Paused)
            resume(it.id);
    }
}

void QueueUploader::pump()
{
    while (activeCount() < m_maxConcurrent && !m_pending.isEmpty())
        launch(m_pending.takeFirst());
}

void QueueUploader::launch(const QString &id)
{
    const auto *it = m_model->find(id);
    if (!it)
        return;
    Job *job = new Job;
    job->context = new QObject(this);
    m_jobs.insert(id, job);
    if (it->kind == Kind::Image)
        launchImage(id, *job);
    else
        launchVideo(id, *job);
}

void QueueUploader::launchImage(const QString &id, Job &job)
{
    job.phase = Job::Phase::Preparing;
    const auto *item = m_model->find(id);
    if (item->size <= deso::image::kMaxUploadBytes) {
        sendImage(id, item->path);
        return;
    }
    // Too big for the node: core/image makes a copy it accepts (scaled and re-encoded
    // at the best quality that fits), off the UI thread, and that copy is sent.
    m_model->setState(id, State::Processing, tr("Making a copy under 10 MB…"));
    const QString source = item->path;
    const QString target = QDir(m_workDir.isEmpty() ? QDir::tempPath() : m_workDir)
                               .filePath(QStringLiteral("%1-%2").arg(id.left(8), QFileInfo(source).completeBaseName()));
    QtConcurrent::run([source, target]() -> deso::Result<QString> {
        auto acceptable = deso::image::makeAcceptable(source);
        if (!acceptable)
            return acceptable.error();
        const QString path = target + QLatin1Char('.') + deso::image::formatName(acceptable->format);
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile out(path);
        if (!out.open(QIODevice::WriteOnly) || out.write(acceptable->bytes) != acceptable->bytes.size())
            return deso::Error(QStringLiteral("ui.write"), QStringLiteral("Cannot write the smaller copy to %1.").arg(path));
        return path;
    }).then(job.context, [this, id](const deso::Result<QString> &prepared) {
        if (!prepared) {
            fail(id, tr("The image is over 10 MB and could not be made smaller: %1").arg(prepared.error().message));
            return;
        }
        sendImage(id, prepared.value());
    });
}

void QueueUploader::sendImage(const QString &id, const QString &path)
{
    Job *job = m_jobs.value(id);
    if (!job)
        return;
    if (!m_credentials) {
        fail(id, tr("No identity: add a public key and JWT, or a test key, in Node & identity."));
        return;
    }
    const deso::Result<UploadCredentials> creds = m_credentials();
    if (!creds) {
        fail(id, creds.error().message);
        return;
    }
    job->phase = Job::Phase::Sending;
    job->sentPath = path;
    m_model->resetProgress(id);
    m_model->setState(id, State::Uploading);
    m_model->setProgress(id, 0, QFileInfo(path).size());
    m_client->uploadImage(path, creds->publicKey, creds->jwt, job->context,
                          [this, id](deso::Result<deso::node::ImageUpload> result) {
                              if (!result) {
                                  fail(id, result.error().message);
                                  return;
                              }
                              finishJob(id);
                              m_model->setResultUrl(id, result->imageUrl);
                              m_model->setState(id, State::Done);
                              emit uploadFinished(id, result->imageUrl);
                          });
}

void QueueUploader::launchVideo(const QString &id, Job &job)
{
    deso::tus::TusOptions options;
    if (!m_tusStoreFile.isEmpty())
        options.storeFile = m_tusStoreFile;
    if (m_chunkSize > 0)
        options.chunkSize = m_chunkSize;
    const auto *item = m_model->find(id);
    auto *tus = new TusUploader(m_client->videoUploadEndpoint(), item->path, options, job.context);
    job.tus = tus;
    job.sentPath = item->path;
    job.phase = Job::Phase::Sending;
    if (!item->resumable)
        m_model->resetProgress(id);
    m_model->setState(id, State::Uploading);

    connect(tus, &TusUploader::progress, this, [this, id](qint64 sent, qint64 total, double speed, double) {
        m_model->setProgress(id, sent, total, speed);
    });
    connect(tus, &TusUploader::stateChanged, this, [this, id](TusUploader::State s) {
        Job *job = m_jobs.value(id);
        if (!job)
            return;
        switch (s) {
        case TusUploader::State::Paused:
            job->phase = Job::Phase::Paused;
            m_model->setState(id, State::Paused);
            pump();  // a paused upload frees its slot
            break;
        case TusUploader::State::Creating:
        case TusUploader::State::Uploading:
            job->phase = Job::Phase::Sending;
            m_model->setState(id, State::Uploading);
            break;
        case TusUploader::State::Retrying:
            m_model->setState(id, State::Uploading, tr("Connection trouble; retrying"));
            break;
        default:
            break;
        }
    });
    connect(tus, &TusUploader::uploadUrlChanged, this, [this, id](const QUrl &url) {
        m_model->setVideoUpload(id, url.toString(), {});
    });
    connect(tus, &TusUploader::mediaIdChanged, this, [this, id](const QString &mediaId) {
        m_model->setVideoUpload(id, {}, mediaId);
    });
    connect(tus, &TusUploader::finished, this, [this, id](const deso::tus::TusUploadResult &result) {
        m_model->setProgress(id, result.size, result.size);
        if (result.mediaId.isEmpty()) {
            fail(id, tr("The upload finished but the node sent no Stream-Media-Id, so its status cannot be followed."));
            return;
        }
        m_model->setVideoUpload(id, result.uploadUrl.toString(), result.mediaId);
        pollVideo(id, result.mediaId);
    });
    connect(tus, &TusUploader::failed, this, [this, id](const deso::Error &error) { fail(id, error.message); });
    connect(tus, &TusUploader::cancelled, this, [this, id] {
        finishJob(id);
        m_model->resetProgress(id);
        m_model->setState(id, State::Waiting, tr("Cancelled"));
    });
    tus->start();
}

void QueueUploader::pollVideo(const QString &id, const QString &videoId)
{
    Job *job = m_jobs.value(id);
    if (!job)
        return;
    job->phase = Job::Phase::Polling;
    m_model->setState(id, State::Processing, tr("Uploaded; the node is processing it"));
    m_model->setRemoteStatus(id, tr("uploaded; waiting for the node"));
    auto *poller = new VideoStatusPoller(m_client, videoId, {}, job->context);
    job->poller = poller;
    connect(poller, &VideoStatusPoller::statusReceived, this, [this, id](const VideoStatus &s) {
        m_model->setRemoteStatus(id, describeStatus(s));
    });
    connect(poller, &VideoStatusPoller::ready, this, [this, id](const VideoStatus &s) {
        const QString url = streamUrl(s);
        m_model->setRemoteStatus(id, describeStatus(s));
        if (s.width > 0 && s.height > 0)
            m_model->setDimensions(id, QSize(s.width, s.height));
        finishJob(id);
        m_model->setResultUrl(id, url);
        m_model->setState(id, State::Done);
        emit uploadFinished(id, url);
    });
    connect(poller, &VideoStatusPoller::failed, this, [this, id](const deso::Error &error) {
        m_model->setRemoteStatus(id, tr("error"));
        fail(id, tr("The node could not process the video: %1").arg(error.message));
    });
    pump();  // polling does not use the upload slot
    poller->start();
}

void QueueUploader::pause(const QString &id)
{
    if (Job *job = m_jobs.value(id); job && job->tus)
        job->tus->pause();
}

void QueueUploader::resume(const QString &id)
{
    if (!canResume(id))
        return;
    Job *job = m_jobs.value(id);
    if (job && job->tus) {
        job->phase = Job::Phase::Sending;
        job->tus->resume();
        return;
    }
    // Restored from an earlier run: a new uploader finds the stored upload URL for this
    // file and continues at the server's offset.
    m_model->setState(id, State::Waiting, tr("Resuming"));
    start(id);
}

void QueueUploader::cancel(const QString &id)
{
    if (m_pending.removeAll(id) > 0) {
        m_model->setState(id, State::Waiting, tr("Cancelled"));
        return;
    }
    Job *job = m_jobs.value(id);
    if (!job)
        return;
    if (job->tus && job->phase != Job::Phase::Polling) {
        job->tus->cancel();  // answers with cancelled() once the server was told
        return;
    }
    finishJob(id);
    m_model->resetProgress(id);
    m_model->setState(id, State::Waiting, tr("Cancelled"));
}

void QueueUploader::retry(const QString &id)
{
    if (!canRetry(id))
        return;
    m_model->resetProgress(id);
    m_model->setState(id, State::Waiting);
    start(id);
}

void QueueUploader::fail(const QString &id, const QString &message)
{
    m_pending.removeAll(id);
    finishJob(id);
    m_model->setState(id, State::Failed, message);
    emit uploadFailed(id, message);
}

void QueueUploader::finishJob(const QString &id)
{
    if (Job *job = m_jobs.take(id)) {
        // Later: the context may be the sender of the signal being handled right now.
        job->context->deleteLater();
        delete job;
    }
    pump();
}
