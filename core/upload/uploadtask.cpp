#include "upload/uploadtask.h"

#include "image/imageformat.h"
#include "node/httperror.h"
#include "upload/medialinks.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QTimer>

#include <memory>

namespace deso::upload {

namespace {

// Asked at the moment of sending (a pasted JWT may have expired since the upload was queued).
Result<Credentials> askCredentials(const CredentialsSource &source)
{
    if (!source)
        return Error(QStringLiteral("upload.no_identity"), UploadTask::tr("No identity to sign the upload with."));
    return source();
}

} // namespace

UploadTask::UploadTask(node::NodeClient *client, QString filePath, MediaKind kind, UploadOptions options, QObject *parent)
    : QObject(parent), m_client(client), m_path(std::move(filePath)), m_kind(kind), m_options(std::move(options))
{
    qRegisterMetaType<deso::upload::UploadStatus>();
    qRegisterMetaType<deso::upload::UploadResult>();
    m_status.bytesTotal = QFileInfo(m_path).size();
    if (m_kind == MediaKind::Image && m_options.makeAcceptable && m_status.bytesTotal > image::kMaxUploadBytes)
        m_status.note = StatusNote::SmallerCopyPlanned;
    if (m_kind == MediaKind::Video && m_options.fitVideosTo > 0 && m_status.bytesTotal > m_options.fitVideosTo)
        m_status.note = StatusNote::SmallerVideoPlanned;
}

UploadTask::~UploadTask()
{
    if (m_prepareCancel)
        *m_prepareCancel = true; // a copy being made stops; its result is dropped
    delete m_work;  // aborts what is in flight; no callback runs after this
}

QString UploadTask::streamUrl(const node::VideoStatus &status)
{
    const QList<MediaLink> links = videoLinks(status);
    const QUrl playback = linkUrl(links, LinkKind::Playback);
    return (playback.isEmpty() ? linkUrl(links, LinkKind::Embed) : playback).toString();
}

bool UploadTask::isActive() const
{
    return m_work && (m_status.state == UploadState::Processing || m_status.state == UploadState::Uploading);
}

bool UploadTask::canPause() const
{
    return m_tus && m_status.state == UploadState::Uploading;
}

bool UploadTask::canResume() const
{
    return m_status.state == UploadState::Paused;
}

bool UploadTask::canCancel() const
{
    return m_work && (isActive() || m_status.state == UploadState::Paused);
}

void UploadTask::update()
{
    emit statusChanged(m_status);
}

void UploadTask::dropWork()
{
    // Later: this may run inside a signal of the tus client or poller that the work owns.
    // Callbacks still queued compare their run against m_work and do nothing.
    if (QObject *work = std::exchange(m_work, nullptr))
        work->deleteLater();
    if (auto cancel = std::exchange(m_prepareCancel, nullptr))
        *cancel = true;
    m_tus = nullptr;
    m_poller = nullptr;
}

void UploadTask::start()
{
    if (isActive() || m_status.state == UploadState::Done)
        return;
    if (!m_client) {
        fail(Error(QStringLiteral("upload.no_node"), tr("No node is chosen to upload to.")));
        return;
    }
    dropWork();
    m_work = new QObject(this);
    m_status.error = {};
    m_status.bytesPerSecond = 0;
    if (m_kind == MediaKind::Image)
        startImage();
    else
        prepareVideoThenSend();
}

void UploadTask::prepareVideoThenSend()
{
    m_video = PreparedVideo{m_path, QFileInfo(m_path).size(), false, {}};
    if (m_options.fitVideosTo <= 0 || m_video.size <= m_options.fitVideosTo) {
        sendVideo();
        return;
    }
    m_status.state = UploadState::Processing;
    m_status.note = StatusNote::MakingSmallerVideo;
    m_status.preparedFraction = 0;
    m_status.bytesSent = 0;
    update();
    QObject *work = m_work;
    m_prepareCancel = std::make_shared<std::atomic<bool>>(false);
    using Watcher = QFutureWatcher<Result<PreparedVideo>>;
    auto *watcher = new Watcher(work);
    connect(watcher, &Watcher::progressValueChanged, work, [this, work](int permille) {
        if (work != m_work)
            return;
        m_status.preparedFraction = permille / 1000.0;
        update();
    });
    connect(watcher, &Watcher::finished, work, [this, work, watcher] {
        if (work != m_work)
            return;
        m_prepareCancel.reset();
        const Result<PreparedVideo> prepared = watcher->result();
        if (!prepared) {
            fail(prepared.error());
            return;
        }
        m_video = prepared.value();
        emit videoPrepared(m_video.preparation);
        sendVideo();
    });
    watcher->setFuture(prepareVideoAsync(m_path, m_options.fitVideosTo, m_prepareCancel));
}

void UploadTask::sendVideo()
{
    if (m_options.mediaServer)
        startMediaServerVideo();
    else
        startVideo();
}

void UploadTask::startImage()
{
    m_status.state = UploadState::Processing;
    m_status.note = m_status.note == StatusNote::SmallerCopyPlanned || m_status.note == StatusNote::MakingSmallerCopy
                        ? StatusNote::MakingSmallerCopy : StatusNote::None;
    m_status.bytesSent = 0;
    update();
    QObject *work = m_work;
    auto *watcher = new QFutureWatcher<Result<node::ImagePart>>(work);
    connect(watcher, &QFutureWatcher<Result<node::ImagePart>>::finished, work, [this, work, watcher] {
        if (work != m_work)
            return;
        const Result<node::ImagePart> part = watcher->result();
        if (!part) {
            fail(part.error());
            return;
        }
        sendImage(part.value());
    });
    watcher->setFuture(prepareImageAsync(m_path, m_options.makeAcceptable));
}

void UploadTask::sendImage(const node::ImagePart &part)
{
    const Result<Credentials> credentials = askCredentials(m_options.credentials);
    if (!credentials) {
        fail(credentials.error());
        return;
    }
    m_status.state = UploadState::Uploading;
    m_status.note = StatusNote::None;
    m_status.bytesSent = 0;
    m_status.bytesTotal = part.size;
    update();
    QObject *work = m_work;
    m_client->uploadImage(
        part, credentials->publicKey, credentials->jwt, work,
        [this, work](Result<node::ImageUpload> sent) {
            if (work != m_work)
                return;
            if (!sent) {
                fail(sent.error());
                return;
            }
            UploadResult result;
            result.image = sent.value();
            result.url = sent->imageUrl;
            succeed(result);
        },
        [this, work, size = part.size](qint64 sent, qint64 total) {
            if (work != m_work || total <= 0)
                return;
            // The request also carries the form around the image: count the image's bytes.
            m_status.bytesSent = qMin(size, sent * size / total);
            update();
            emit progress(m_status.bytesSent, size, 0, -1);
        });
}

void UploadTask::startVideo()
{
    startTusVideo(m_client->videoUploadEndpoint(), m_client, m_options.poll, StatusNote::NodeProcessing);
}

void UploadTask::startTusVideo(const QUrl &endpoint, node::NodeClient *follow, const node::PollOptions &poll,
                               StatusNote note)
{
    m_status.state = UploadState::Uploading;
    m_status.note = StatusNote::None;
    m_status.video.reset();
    update();
    QObject *work = m_work;
    auto *tus = new tus::TusUploader(endpoint, m_video.path, m_options.tus, work);
    m_tus = tus;
    using tus::TusUploader;
    connect(tus, &TusUploader::progress, work, [this, work](qint64 sent, qint64 total, double speed, double eta) {
        if (work != m_work)
            return;
        m_status.bytesSent = sent;
        m_status.bytesTotal = total;
        m_status.bytesPerSecond = speed;
        update();
        emit progress(sent, total, speed, eta);
    });
    connect(tus, &TusUploader::stateChanged, work, [this, work](TusUploader::State state) {
        if (work != m_work)
            return;
        if (state == TusUploader::State::Paused) {
            m_status.state = UploadState::Paused;
        } else if (state == TusUploader::State::Creating || state == TusUploader::State::Uploading) {
            m_status.state = UploadState::Uploading;
            m_status.error = {};
        } else {
            return;  // retries, the end and cancelling have their own signals
        }
        m_status.note = StatusNote::None;
        m_status.bytesPerSecond = 0;
        update();
    });
    connect(tus, &TusUploader::retrying, work, [this, work](int attempt, int delayMs, const Error &cause) {
        if (work != m_work)
            return;
        m_status.state = UploadState::Uploading;
        m_status.note = StatusNote::Retrying;
        m_status.error = cause;
        update();
        emit retrying(attempt, delayMs, cause);
    });
    connect(tus, &TusUploader::uploadUrlChanged, work, [this, work](const QUrl &url) {
        if (work != m_work)
            return;
        m_status.uploadUrl = url.toString();
        update();
    });
    connect(tus, &TusUploader::mediaIdChanged, work, [this, work](const QString &mediaId) {
        if (work != m_work)
            return;
        m_status.videoId = mediaId;
        update();
    });
    connect(tus, &TusUploader::storeFailed, work, [this](const Error &problem) { emit warning(problem); });
    connect(tus, &TusUploader::failed, work, [this, work](const Error &error) {
        if (work == m_work)
            fail(error);
    });
    connect(tus, &TusUploader::cancelled, work, [this, work] {
        if (work != m_work)
            return;
        dropWork();
        m_status.state = UploadState::Waiting;
        m_status.note = StatusNote::Cancelled;
        m_status.bytesSent = 0;
        m_status.bytesPerSecond = 0;
        update();
        emit cancelled();
    });
    connect(tus, &TusUploader::finished, work, [this, work, follow, poll, note](const tus::TusUploadResult &uploaded) {
        if (work != m_work)
            return;
        m_status.bytesSent = uploaded.size;
        m_status.bytesTotal = uploaded.size;
        m_status.uploadUrl = uploaded.uploadUrl.toString();
        if (!uploaded.mediaId.isEmpty())
            m_status.videoId = uploaded.mediaId;
        if (!m_options.followProcessing) {
            UploadResult result;
            result.video = uploaded;
            result.url = uploaded.uploadUrl.toString();
            succeed(result);
            return;
        }
        if (uploaded.mediaId.isEmpty()) {
            fail(Error(QStringLiteral("upload.no_media_id"),
                       tr("The upload finished but the node sent no Stream-Media-Id, so its status cannot be followed.")));
            return;
        }
        emit videoUploaded(uploaded);
        m_tus = nullptr;  // its work is done; it goes with m_work
        UploadResult result;
        result.video = uploaded;
        followVideo(follow, uploaded.mediaId, poll, note, result);
    });
    tus->start();
}

void UploadTask::startMediaServerVideo()
{
    if (m_video.size <= m_options.mediaServerTusThreshold) {
        startMediaServerMultipart();
        return;
    }
    // A large file: resumable if the media server takes tus, else one POST as the SDK sends it.
    m_status.state = UploadState::Processing;
    m_status.note = StatusNote::None;
    update();
    startMediaServerTus([this](const Error &) { startMediaServerMultipart(); });
}

void UploadTask::startMediaServerTus(std::function<void(const Error &)> fallback, int attempt)
{
    QObject *work = m_work;
    node::NodeClient *media = m_options.mediaServer;
    media->discoverTusEndpoint(work, [this, work, media, fallback, attempt](Result<QUrl> endpoint) {
        if (work != m_work)
            return;
        const QList<int> &delays = m_options.tus.retryDelaysMs;
        if (!endpoint && node::isNetworkError(endpoint.error()) && attempt < m_options.tus.maxRetries && !delays.isEmpty()) {
            // The link that cut the upload may stay down a moment, as tus retries assume.
            const int delay = delays.value(std::min<qsizetype>(attempt, delays.size() - 1));
            m_status.note = StatusNote::Retrying;
            m_status.error = endpoint.error();
            update();
            emit retrying(attempt + 1, delay, endpoint.error());
            QTimer::singleShot(delay, work, [this, work, fallback, attempt] {
                if (work == m_work)
                    startMediaServerTus(fallback, attempt + 1);
            });
            return;
        }
        if (!endpoint) {
            fallback(endpoint.error());
            return;
        }
        startTusVideo(endpoint.value(), media, m_options.mediaServerPoll, StatusNote::MediaServerProcessing);
    });
}

void UploadTask::startMediaServerMultipart()
{
    const Result<Credentials> credentials = askCredentials(m_options.credentials);
    if (!credentials) {
        fail(credentials.error());
        return;
    }
    const UploadFile file = inspectFile(m_video.path);
    const QString type = file.mimeType.startsWith(QLatin1String("video/")) ? file.mimeType
                                                                            : QStringLiteral("application/octet-stream");
    m_status.state = UploadState::Uploading;
    m_status.note = StatusNote::None;
    m_status.video.reset();
    m_status.bytesSent = 0;
    m_status.bytesTotal = file.size;
    update();
    QObject *work = m_work;
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    node::NodeClient *media = m_options.mediaServer;
    media->uploadVideoForm(
        m_video.path, type, credentials->publicKey, credentials->jwt, work,
        [this, work, media](Result<node::MediaServerUpload> sent) {
            if (work != m_work)
                return;
            if (!sent && node::isNetworkError(sent.error())) {
                // Cut before the server answered: it kept nothing of the form, so carry on
                // over tus, where a later cut resumes at the server's offset.
                const Error cut = sent.error();
                m_status.note = StatusNote::Retrying;
                m_status.error = cut;
                update();
                emit retrying(1, 0, cut);
                startMediaServerTus([this, cut](const Error &noTus) {
                    fail(Error(cut.code, QStringLiteral("%1 %2").arg(cut.message, noTus.message), cut.httpStatus));
                });
                return;
            }
            if (!sent) {
                fail(sent.error());
                return;
            }
            m_status.bytesSent = m_status.bytesTotal;
            m_status.videoId = sent->assetId;
            UploadResult result;
            result.asset = sent.value();
            if (!m_options.followProcessing) {
                result.url = sent->assetId;
                succeed(result);
                return;
            }
            emit assetCreated(sent.value());
            followVideo(media, sent->assetId, m_options.mediaServerPoll, StatusNote::MediaServerProcessing, result);
        },
        [this, work, clock, size = file.size](qint64 sent, qint64 total) {
            if (work != m_work || total <= 0)
                return;
            // The request also carries the form around the file: count the file's bytes.
            m_status.bytesSent = qMin(size, sent * size / total);
            const double seconds = double(clock->elapsed()) / 1000.0;
            m_status.bytesPerSecond = seconds > 0.5 ? double(m_status.bytesSent) / seconds : 0;
            const double eta = m_status.bytesPerSecond > 0 ? double(size - m_status.bytesSent) / m_status.bytesPerSecond : -1;
            update();
            emit progress(m_status.bytesSent, size, m_status.bytesPerSecond, eta);
        });
}

void UploadTask::followVideo(node::NodeClient *client, const QString &videoId, const node::PollOptions &poll,
                             StatusNote note, UploadResult result)
{
    m_status.state = UploadState::Processing;
    m_status.note = note;
    m_status.bytesPerSecond = 0;
    update();
    QObject *work = m_work;
    auto *poller = new node::VideoStatusPoller(client, videoId, poll, work);
    m_poller = poller;
    connect(poller, &node::VideoStatusPoller::statusReceived, work, [this, work](const node::VideoStatus &video) {
        if (work != m_work)
            return;
        m_status.video = video;
        update();
        emit nodeStatusReceived(video);
    });
    connect(poller, &node::VideoStatusPoller::ready, work, [this, result, work](const node::VideoStatus &video) mutable {
        if (work != m_work)
            return;
        m_status.video = video;
        result.videoStatus = video;
        result.url = streamUrl(video);
        succeed(result);
    });
    connect(poller, &node::VideoStatusPoller::failed, work, [this, work, note](const Error &error) {
        if (work == m_work)
            fail(error, note);
    });
    poller->start();
}

void UploadTask::pause()
{
    if (canPause())
        m_tus->pause();
}

void UploadTask::resume()
{
    if (!canResume())
        return;
    if (m_tus) {
        m_tus->resume();
        return;
    }
    // Restored from an earlier run: a new tus client finds the stored upload URL for this
    // file and continues at the server's offset.
    start();
}

void UploadTask::cancel()
{
    if (!canCancel())
        return;
    if (m_tus) {
        m_tus->cancel();  // answers with cancelled() once the server was told
        return;
    }
    dropWork();
    m_status.state = UploadState::Waiting;
    m_status.note = StatusNote::Cancelled;
    m_status.bytesSent = 0;
    m_status.bytesPerSecond = 0;
    m_status.video.reset();
    update();
    emit cancelled();
}

void UploadTask::fail(const Error &error, StatusNote note)
{
    dropWork();
    m_status.state = UploadState::Failed;
    m_status.note = note;
    m_status.error = error;
    m_status.bytesPerSecond = 0;
    update();
    emit failed(error);
}

void UploadTask::succeed(const UploadResult &result)
{
    dropWork();
    discardPreparedVideo(m_video); // a copy made to fit is sent; the original stays
    m_video = {};
    m_status.state = UploadState::Done;
    m_status.note = StatusNote::None;
    m_status.error = {};
    m_status.resultUrl = result.url;
    m_status.bytesPerSecond = 0;
    if (m_status.bytesTotal > 0)
        m_status.bytesSent = m_status.bytesTotal;
    update();
    emit finished(result);
}

} // namespace deso::upload
