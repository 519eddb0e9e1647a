#include "mediaqueuemodel.h"

#include "node/nodeclient.h"
#include "upload/medialinks.h"
#include "upload/uploadfile.h"
#include "upload/uploadtask.h"
#include "video/hlstranscoder.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QLocale>
#include <QUuid>
#include <QtConcurrent/QtConcurrentRun>

#include <cmath>

using deso::upload::StatusNote;
using deso::upload::UploadStatus;
using deso::upload::UploadTask;

QString MediaQueueModel::Item::reason() const
{
    if (!status.hasError() && status.note == StatusNote::None)
        return {};
    return deso::upload::describe(status);
}

QString MediaQueueModel::Item::remoteStatus() const
{
    if (status.video)
        return deso::upload::describe(*status.video);
    if (deso::upload::isFollowingServer(status.note))
        return deso::upload::describe(status);
    return {};
}

MediaQueueModel::MediaQueueModel(QObject *parent)
    : QAbstractListModel(parent), m_client(new deso::node::NodeClient(QUrl(), this)),
      m_mediaServer(new deso::node::NodeClient(QUrl(), this))
{
}

MediaQueueModel::~MediaQueueModel()
{
    // Copies being made stop; what they leave is only their partial files, which core removes.
    for (FitJob &job : m_fitJobs) {
        *job.cancel = true;
        job.watcher->disconnect(this);
    }
    qDeleteAll(m_tasks);  // before the client they use
    m_tasks.clear();
}

int MediaQueueModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_items.size());
}

QVariant MediaQueueModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_items.size())
        return {};
    const Item &it = m_items.at(index.row());
    const UploadStatus &s = it.status;
    switch (role) {
    case Qt::DisplayRole: {
        QString line = QStringLiteral("%1 — %2 — %3").arg(it.name, it.mimeType, humanSize(it.size));
        if (s.state == State::Refused || s.state == State::Failed)
            line += QStringLiteral(" — %1: %2").arg(stateName(s.state), it.reason());
        return line;
    }
    case Qt::ToolTipRole: {
        const QString reason = it.reason();
        return reason.isEmpty() ? it.path : QStringLiteral("%1\n%2").arg(it.path, reason);
    }
    case Qt::DecorationRole:
    case ThumbnailRole: return it.thumbnail;
    case PosterRole: return it.poster;
    case PosterUrlRole: return it.status.video ? deso::upload::videoPosterUrl(*it.status.video) : QUrl();
    case PathRole: return it.path;
    case NameRole: return it.name;
    case MimeTypeRole: return it.mimeType;
    case SizeRole: return it.size;
    case KindRole: return QVariant::fromValue(it.kind);
    case StateRole: return QVariant::fromValue(s.state);
    case ReasonRole: return it.reason();
    case IdRole: return it.id;
    case DimensionsRole: return it.dimensions;
    case BytesSentRole: return s.bytesSent;
    case BytesTotalRole: return s.bytesTotal;
    case SpeedRole: return s.bytesPerSecond;
    case EtaRole: return etaSeconds(it);
    case ProgressRole:
        if (s.state == State::Done)
            return 1000;
        if (s.note == StatusNote::MakingSmallerVideo)
            return int(s.preparedFraction * 1000);
        if (s.bytesTotal <= 0)
            return -1;
        return int(std::min<qint64>(1000, s.bytesSent * 1000 / s.bytesTotal));
    case ResultUrlRole: return s.resultUrl;
    case VideoIdRole: return s.videoId;
    case RemoteStatusRole: return it.remoteStatus();
    case DetailRole: return detailText(it);
    case ProgressTextRole: return progressText(it);
    case CopyPathRole: return it.copyPath;
    default: return {};
    }
}

QHash<int, QByteArray> MediaQueueModel::roleNames() const
{
    auto names = QAbstractListModel::roleNames();
    names.insert({{PathRole, "path"}, {NameRole, "name"}, {MimeTypeRole, "mimeType"},
                  {SizeRole, "size"}, {KindRole, "kind"}, {StateRole, "state"},
                  {ReasonRole, "reason"}, {IdRole, "id"}, {DimensionsRole, "dimensions"},
                  {ThumbnailRole, "thumbnail"}, {BytesSentRole, "bytesSent"},
                  {BytesTotalRole, "bytesTotal"}, {SpeedRole, "speed"}, {EtaRole, "eta"},
                  {ProgressRole, "progress"}, {ResultUrlRole, "resultUrl"},
                  {VideoIdRole, "videoId"}, {RemoteStatusRole, "remoteStatus"},
                  {DetailRole, "detail"}, {ProgressTextRole, "progressText"},
                  {PosterRole, "poster"}, {PosterUrlRole, "posterUrl"}, {CopyPathRole, "copyPath"}});
    return names;
}

int MediaQueueModel::rowOf(const QString &id) const
{
    for (int i = 0; i < m_items.size(); ++i)
        if (m_items.at(i).id == id)
            return i;
    return -1;
}

const MediaQueueModel::Item *MediaQueueModel::find(const QString &id) const
{
    const int row = rowOf(id);
    return row < 0 ? nullptr : &m_items.at(row);
}

MediaQueueModel::Item MediaQueueModel::itemFor(const QString &path) const
{
    // What the file is and whether the node would take it: the upload layer's rules.
    return itemFor(deso::upload::inspectFile(path, videoLimit()));
}

deso::upload::VideoLimit MediaQueueModel::videoLimit() const
{
    return deso::upload::videoLimit(!m_mediaServer->baseUrl().isEmpty(), m_mediaServerVideoLimit);
}

MediaQueueModel::Item MediaQueueModel::itemFor(const deso::upload::UploadFile &file) const
{
    Item it;
    it.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    it.path = file.path;
    it.name = file.name;
    it.mimeType = file.mimeType;
    it.size = file.size;
    it.kind = file.kind;
    it.status.bytesTotal = file.size;
    if (file.smallerCopyCanFit) {
        // Not refused, not sent: held with the offer (or planned, by setting).
        it.smallerCopyCanFit = true;
        it.status.videoLimit = file.videoLimit;
        it.status.note = m_makeFitCopiesUnasked ? StatusNote::SmallerVideoPlanned : StatusNote::SmallerVideoOffered;
    } else if (file.refusal) {
        it.status.state = State::Refused;
        it.status.error = *file.refusal;
    } else if (file.needsSmallerCopy) {
        it.status.note = StatusNote::SmallerCopyPlanned;
    }
    return it;
}

int MediaQueueModel::addFiles(const QStringList &paths)
{
    if (paths.isEmpty())
        return 0;
    if (!deso::upload::containsFolder(paths))
        return append(deso::upload::collectMedia(paths, videoLimit()));
    // A folder may hold a large tree: walked off the UI thread.
    if (m_collecting++ == 0)
        emit collectingChanged(true);
    QtConcurrent::run([paths, limit = videoLimit()] { return deso::upload::collectMedia(paths, limit); })
        .then(this, [this](const deso::upload::MediaCollection &collection) {
            append(collection);
            if (--m_collecting == 0)
                emit collectingChanged(false);
        });
    return 0;
}

int MediaQueueModel::append(const deso::upload::MediaCollection &collection)
{
    QStringList refused, offered;
    deso::upload::VideoLimit offeredLimit;
    QList<Item> fresh;
    fresh.reserve(collection.files.size());
    for (const deso::upload::UploadFile &file : collection.files) {
        fresh.append(itemFor(file));
        if (fresh.last().status.state == State::Refused)
            refused << QStringLiteral("%1: %2").arg(fresh.last().name, fresh.last().reason());
        else if (fresh.last().status.note == StatusNote::SmallerVideoOffered) {
            offered << fresh.last().name;
            offeredLimit = fresh.last().status.videoLimit;
        }
    }
    const int first = int(m_items.size());
    if (!fresh.isEmpty()) {
        beginInsertRows({}, first, int(first + fresh.size() - 1));
        m_items.append(fresh);
        endInsertRows();
    }
    QStringList sentences;
    if (!refused.isEmpty())
        sentences << (refused.size() == 1 ? tr("1 file refused — %1").arg(refused.first())
                                          : tr("%1 files refused — %2").arg(refused.size()).arg(refused.join(QStringLiteral("; "))));
    if (!offered.isEmpty())
        sentences << (offered.size() == 1
                          ? tr("%1 is over %2's %3 limit: select it to make a copy that fits, or keep it as it is.")
                          : tr("%1 are over %2's %3 limit: select each to make a copy that fits, or keep it as it is."))
                         .arg(offered.join(QStringLiteral(", ")), offeredLimit.holder(), humanSize(offeredLimit.bytes));
    if (const QString leftOut = collection.leftOutSentence(); !leftOut.isEmpty())
        sentences << leftOut;
    if (fresh.isEmpty() && sentences.isEmpty())
        sentences << tr("No images or videos were found in what was dropped.");
    emit filesAdded(first, int(fresh.size()));
    if (!sentences.isEmpty())
        emit notice(sentences.join(QLatin1Char(' ')));
    return int(fresh.size());
}

void MediaQueueModel::removeRow(int row)
{
    if (row < 0 || row >= m_items.size())
        return;
    const QString id = m_items.at(row).id;
    beginRemoveRows({}, row, row);
    // A removed row takes its upload with it, and its copy that fits (made or being made).
    m_pending.removeAll(id);
    delete m_tasks.take(id);
    m_rate.remove(id);
    if (auto job = m_fitJobs.find(id); job != m_fitJobs.end())
        *job->cancel = true;  // its end finds no row and removes what it made
    removeCopy(m_items[row]);
    m_items.removeAt(row);
    endRemoveRows();
    pump();
}

void MediaQueueModel::clearFinished()
{
    for (int row = int(m_items.size()) - 1; row >= 0; --row) {
        const State s = m_items.at(row).status.state;
        if (s == State::Done || s == State::Refused)
            removeRow(row);
    }
}

void MediaQueueModel::changed(int row)
{
    const QModelIndex idx = index(row);
    emit dataChanged(idx, idx);
}

void MediaQueueModel::setStatus(const QString &id, const UploadStatus &status)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    Item &it = m_items[row];
    const qint64 before = it.status.bytesSent;
    // What a fresh upload does not know yet, the row keeps (e.g. the tus URL of a restored one).
    UploadStatus next = status;
    for (auto field : {&UploadStatus::resultUrl, &UploadStatus::videoId, &UploadStatus::uploadUrl})
        if ((next.*field).isEmpty())
            next.*field = it.status.*field;
    // An upload task knows nothing of the offer: the limit and the copy's facts stay.
    if (next.videoLimit.bytes <= 0)
        next.videoLimit = it.status.videoLimit;
    if (next.copyBytes <= 0) {
        next.copyBytes = it.status.copyBytes;
        next.copyWidth = it.status.copyWidth;
        next.copyHeight = it.status.copyHeight;
    }
    it.status = next;
    if (next.state != State::Paused)
        it.resumable = false;
    if (next.state != State::Uploading) {
        m_rate.remove(id);
    } else if (next.bytesPerSecond <= 0) {
        // The sender did not measure a speed: bytes over time between samples at least
        // 250 ms apart, smoothed so the number shown does not flicker with every chunk.
        RateSample &sample = m_rate[id];
        if (!sample.clock.isValid() || next.bytesSent < before) {
            sample.clock.start();
            sample.bytes = next.bytesSent;
        } else if (sample.clock.elapsed() >= 250) {
            const double instant = double(next.bytesSent - sample.bytes) * 1000.0 / double(sample.clock.elapsed());
            sample.speed = sample.speed <= 0 ? instant : 0.7 * sample.speed + 0.3 * instant;
            sample.clock.restart();
            sample.bytes = next.bytesSent;
        }
        it.status.bytesPerSecond = sample.speed;
    }
    changed(row);
}

void MediaQueueModel::setState(const QString &id, State state)
{
    const Item *it = find(id);
    if (!it)
        return;
    UploadStatus status = it->status;
    status.state = state;
    status.note = StatusNote::None;
    status.error = {};
    setStatus(id, status);
}

void MediaQueueModel::setProgress(const QString &id, qint64 sent, qint64 total, double speed)
{
    const Item *it = find(id);
    if (!it)
        return;
    UploadStatus status = it->status;
    status.bytesSent = sent;
    if (total > 0)
        status.bytesTotal = total;
    status.bytesPerSecond = std::max(0.0, speed);
    setStatus(id, status);
}

void MediaQueueModel::setVideoUpload(const QString &id, const QString &uploadUrl, const QString &videoId)
{
    const Item *it = find(id);
    if (!it)
        return;
    UploadStatus status = it->status;
    status.uploadUrl = uploadUrl;
    status.videoId = videoId;
    setStatus(id, status);
}

void MediaQueueModel::setThumbnail(const QString &id, const QImage &thumbnail, const QSize &dimensions)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    m_items[row].thumbnail = thumbnail;
    if (dimensions.isValid())
        m_items[row].dimensions = dimensions;
    changed(row);
}

void MediaQueueModel::setPoster(const QString &id, const QImage &poster)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    m_items[row].poster = poster;
    changed(row);
}

void MediaQueueModel::setDimensions(const QString &id, const QSize &dimensions)
{
    const int row = rowOf(id);
    if (row < 0 || !dimensions.isValid())
        return;
    m_items[row].dimensions = dimensions;
    changed(row);
}

// Uploads ------------------------------------------------------------------------------

void MediaQueueModel::setNodeUrl(const QUrl &baseUrl)
{
    m_client->setBaseUrl(baseUrl);
}

QUrl MediaQueueModel::nodeUrl() const
{
    return m_client->baseUrl();
}

void MediaQueueModel::setMediaServerUrl(const QUrl &baseUrl)
{
    const bool routeChanged = baseUrl.isEmpty() != m_mediaServer->baseUrl().isEmpty();
    m_mediaServer->setBaseUrl(baseUrl);
    if (routeChanged)
        judgeVideoLimits();
}

void MediaQueueModel::setMediaServerVideoLimit(qint64 bytes)
{
    m_mediaServerVideoLimit = bytes;
    judgeVideoLimits();
}

void MediaQueueModel::judgeVideoLimits()
{
    // Rows nobody has acted on yet follow the limit of where videos go now: held with the
    // offer when over it, free to start when not; a copy made or being made stays as it is.
    const deso::upload::VideoLimit limit = videoLimit();
    for (int row = 0; row < m_items.size(); ++row) {
        Item &it = m_items[row];
        UploadStatus &s = it.status;
        const bool held = s.note == StatusNote::SmallerVideoOffered || s.note == StatusNote::SmallerVideoPlanned;
        const bool untouched = s.state == State::Waiting && (s.note == StatusNote::None || held);
        const bool keptAsIs = s.state == State::Refused && it.smallerCopyCanFit;
        if (it.kind != Kind::Video || !it.copyPath.isEmpty() || m_fitJobs.contains(it.id) || !(untouched || keptAsIs))
            continue;
        if (it.size > limit.bytes) {
            if (it.smallerCopyCanFit && s.videoLimit.bytes == limit.bytes && s.videoLimit.mediaServer == limit.mediaServer)
                continue;
            it.smallerCopyCanFit = true;
            s.videoLimit = limit;
            if (keptAsIs)
                s.error = deso::upload::videoTooLarge(it.size, limit);
            else if (!held)
                s.note = m_makeFitCopiesUnasked ? StatusNote::SmallerVideoPlanned : StatusNote::SmallerVideoOffered;
        } else if (it.smallerCopyCanFit) {
            it.smallerCopyCanFit = false;
            s.state = State::Waiting;
            s.note = StatusNote::None;
            s.error = {};
            s.videoLimit = {};
        } else {
            continue;
        }
        changed(row);
    }
}

QUrl MediaQueueModel::mediaServerUrl() const
{
    return m_mediaServer->baseUrl();
}

int MediaQueueModel::activeCount() const
{
    int n = 0;
    for (const UploadTask *task : m_tasks)  // following the node's processing takes no slot
        n += task->isActive() && !deso::upload::isFollowingServer(task->status().note) ? 1 : 0;
    return n;
}

bool MediaQueueModel::canStart(const QString &id) const
{
    const Item *it = find(id);
    const UploadTask *task = m_tasks.value(id);
    return it && it->status.state == State::Waiting && it->status.note != StatusNote::SmallerVideoOffered
           && !m_pending.contains(id) && !(task && task->isActive());
}

bool MediaQueueModel::canPause(const QString &id) const
{
    const UploadTask *task = m_tasks.value(id);
    return task && task->canPause();
}

bool MediaQueueModel::canResume(const QString &id) const
{
    const Item *it = find(id);
    return it && it->status.state == State::Paused && !m_pending.contains(id);
}

bool MediaQueueModel::canCancel(const QString &id) const
{
    if (auto job = m_fitJobs.constFind(id); job != m_fitJobs.cend())
        return !job->cancelling;
    const UploadTask *task = m_tasks.value(id);
    return m_pending.contains(id) || (task && task->canCancel());
}

bool MediaQueueModel::canRetry(const QString &id) const
{
    const Item *it = find(id);
    const UploadTask *task = m_tasks.value(id);
    return it && it->status.state == State::Failed && !(task && task->isActive());
}

void MediaQueueModel::failRow(const QString &id, const deso::Error &error)
{
    m_pending.removeAll(id);
    const Item *it = find(id);
    if (!it)
        return;
    UploadStatus status = it->status;
    status.state = State::Failed;
    status.note = StatusNote::None;
    status.error = error;
    setStatus(id, status);
    emit uploadFailed(id, error.message);
}

void MediaQueueModel::start(const QString &id)
{
    if (!canStart(id))
        return;
    if (const Item *it = find(id); it->kind == Kind::Video && it->copyPath.isEmpty() && !it->smallerCopyCanFit) {
        // The route or its limit may have changed since the file was added: judged again.
        const deso::upload::VideoLimit limit = videoLimit();
        if (it->size > limit.bytes) {
            Item &held = m_items[rowOf(id)];
            held.smallerCopyCanFit = true;
            UploadStatus status = held.status;
            status.videoLimit = limit;
            status.note = m_makeFitCopiesUnasked ? StatusNote::SmallerVideoPlanned : StatusNote::SmallerVideoOffered;
            setStatus(id, status);
            if (!m_makeFitCopiesUnasked)
                return;
        }
    }
    if (!m_client->baseUrl().isValid() || m_client->baseUrl().isEmpty()) {
        failRow(id, deso::Error(QStringLiteral("upload.no_node"),
                                tr("No node is chosen: set a node URL in Node & identity, or start the local host.")));
        return;
    }
    m_pending.append(id);
    UploadStatus status = find(id)->status;
    if (status.note != StatusNote::Resuming)
        status.note = StatusNote::Queued;
    setStatus(id, status);
    pump();
}

void MediaQueueModel::startAll()
{
    for (int row = 0; row < rowCount(); ++row) {
        const Item &it = m_items.at(row);
        if (it.status.state == State::Waiting)
            start(it.id);
        else if (it.status.state == State::Paused)
            resume(it.id);
    }
}

void MediaQueueModel::pump()
{
    while (activeCount() < m_maxConcurrent && !m_pending.isEmpty())
        launch(m_pending.takeFirst());
}

void MediaQueueModel::launch(const QString &id)
{
    const Item *it = find(id);
    if (!it)
        return;
    // A fresh task each time: the node, chunk size or store may have changed since.
    if (UploadTask *old = m_tasks.take(id))
        old->deleteLater();
    deso::upload::UploadOptions options;
    options.credentials = m_credentials;
    if (!m_tusStoreFile.isEmpty())
        options.tus.storeFile = m_tusStoreFile;
    if (m_chunkSize > 0)
        options.tus.chunkSize = m_chunkSize;
    // Made unasked when it starts (by setting); a copy made on offer is sent as it is.
    if (it->smallerCopyCanFit && it->copyPath.isEmpty())
        options.fitVideosTo = it->status.videoLimit.bytes;
    if (!m_mediaServer->baseUrl().isEmpty())
        options.mediaServer = m_mediaServer;
    auto *task = new UploadTask(m_client, it->uploadPath(), it->kind, options, this);
    m_tasks.insert(id, task);
    // One way only: the task's status lands in the row; nothing comes back.
    connect(task, &UploadTask::statusChanged, this, [this, id](const UploadStatus &status) {
        setStatus(id, status);
        if (!isActive(status.state) || deso::upload::isFollowingServer(status.note))
            pump();  // a paused, finished or processing upload frees its slot
    });
    connect(task, &UploadTask::finished, this, [this, id](const deso::upload::UploadResult &result) {
        if (const int row = rowOf(id); row >= 0 && !m_items[row].copyPath.isEmpty()) {
            removeCopy(m_items[row]);  // sent: the cache keeps no copy
            changed(row);
        }
        if (result.videoStatus && result.videoStatus->width > 0 && result.videoStatus->height > 0 && !find(id)->status.copyBytes)
            setDimensions(id, QSize(result.videoStatus->width, result.videoStatus->height));
        emit uploadFinished(id, result.url);
    });
    connect(task, &UploadTask::failed, this, [this, id] {
        if (const Item *it = find(id))
            emit uploadFailed(id, deso::upload::describe(it->status));
    });
    connect(task, &UploadTask::warning, this, [this, id](const deso::Error &problem) {
        emit uploadWarning(id, problem.message);
    });
    task->start();
}

void MediaQueueModel::pause(const QString &id)
{
    if (UploadTask *task = m_tasks.value(id))
        task->pause();
}

void MediaQueueModel::resume(const QString &id)
{
    if (!canResume(id))
        return;
    if (UploadTask *task = m_tasks.value(id); task && task->tusUploader()) {
        task->resume();
        return;
    }
    // Restored from an earlier run: a new task finds the stored upload URL for this file
    // and continues at the server's offset, once a slot is free.
    UploadStatus status = find(id)->status;
    status.state = State::Waiting;
    status.note = StatusNote::Resuming;
    setStatus(id, status);
    start(id);
}

void MediaQueueModel::cancel(const QString &id)
{
    if (auto job = m_fitJobs.find(id); job != m_fitJobs.end()) {
        // The encode stops at its next frame; its end puts the offer back.
        *job->cancel = true;
        job->cancelling = true;
        return;
    }
    if (m_pending.removeAll(id) > 0) {
        UploadStatus status = find(id)->status;
        status.state = State::Waiting;
        status.note = StatusNote::Cancelled;
        setStatus(id, status);
        return;
    }
    if (UploadTask *task = m_tasks.value(id))
        task->cancel();
}

void MediaQueueModel::retry(const QString &id)
{
    if (!canRetry(id))
        return;
    UploadStatus status = find(id)->status;
    status.state = State::Waiting;
    status.note = StatusNote::None;
    status.error = {};
    status.bytesSent = 0;
    setStatus(id, status);
    start(id);
}

// Compress-to-fit ----------------------------------------------------------------------

bool MediaQueueModel::isMakingFitCopy(const QString &id) const
{
    return m_fitJobs.contains(id);
}

bool MediaQueueModel::canMakeFitCopy(const QString &id) const
{
    const Item *it = find(id);
    const UploadTask *task = m_tasks.value(id);
    if (!it || !it->smallerCopyCanFit || !it->copyPath.isEmpty() || m_fitJobs.contains(id) || m_pending.contains(id)
        || (task && task->isActive())
        || !(it->status.note == StatusNote::SmallerVideoOffered || it->status.state == State::Refused))
        return false;
    // The same file dropped twice makes one copy (core names it by file and limit): the
    // second row waits for the first row's encode, then finds its copy made.
    for (const FitJob &job : m_fitJobs)
        if (job.path == it->path && job.limitBytes == it->status.videoLimit.bytes)
            return false;
    return true;
}

bool MediaQueueModel::canKeepAsIs(const QString &id) const
{
    const Item *it = find(id);
    return it && it->status.state == State::Waiting && it->status.note == StatusNote::SmallerVideoOffered
           && !m_fitJobs.contains(id);
}

bool MediaQueueModel::canDiscardCopy(const QString &id) const
{
    const Item *it = find(id);
    const UploadTask *task = m_tasks.value(id);
    return it && !it->copyPath.isEmpty() && !m_pending.contains(id) && !(task && task->isActive())
           && it->status.state != State::Paused && it->status.state != State::Done;
}

void MediaQueueModel::makeFitCopy(const QString &id)
{
    if (!canMakeFitCopy(id))
        return;
    const Item *it = find(id);
    UploadStatus status = it->status;
    status.state = State::Processing;
    status.note = StatusNote::MakingSmallerVideo;
    status.error = {};
    status.preparedFraction = 0;
    status.bytesSent = 0;
    setStatus(id, status);
    FitJob job;
    job.cancel = std::make_shared<std::atomic<bool>>(false);
    job.path = it->path;
    job.limitBytes = it->status.videoLimit.bytes;
    using Watcher = QFutureWatcher<deso::Result<deso::upload::PreparedVideo>>;
    job.watcher = new Watcher(this);
    connect(job.watcher, &Watcher::progressValueChanged, this, [this, id](int permille) {
        const Item *it = find(id);
        if (!it || it->status.note != StatusNote::MakingSmallerVideo)
            return;
        UploadStatus status = it->status;
        status.preparedFraction = permille / 1000.0;
        setStatus(id, status);
    });
    connect(job.watcher, &Watcher::finished, this, [this, id, watcher = job.watcher] {
        m_fitJobs.remove(id);
        watcher->deleteLater();
        fitCopyMade(id, watcher->result());
    });
    // Core's one rule (the command line's --fit too): named by the file and the limit, in
    // the cache folder; compressToFit writes a .partial beside it and removes it when stopped.
    job.watcher->setFuture(deso::upload::prepareVideoAsync(it->path, it->status.videoLimit.bytes, job.cancel));
    m_fitJobs.insert(id, job);
}

void MediaQueueModel::fitCopyMade(const QString &id, const deso::Result<deso::upload::PreparedVideo> &made)
{
    const int row = rowOf(id);
    if (row < 0) {  // removed meanwhile: nothing of it stays
        if (made && made->changed && !copyInUse(made->path))
            deso::upload::discardPreparedVideo(made.value());
        return;
    }
    Item &it = m_items[row];
    UploadStatus status = it.status;
    status.state = State::Waiting;
    status.preparedFraction = 0;
    if (!made) {
        const bool cancelled = made.error().code == deso::video::kErrCancelled;
        status.note = StatusNote::SmallerVideoOffered;
        status.error = cancelled ? deso::Error() : made.error();
        setStatus(id, status);
        if (!cancelled)
            emit fitCopyFailed(id, describe(status));
        return;
    }
    if (!made->changed) {  // it fits as it is after all (the file changed since it was added)
        it.smallerCopyCanFit = false;
        status.note = StatusNote::None;
        status.error = {};
        status.bytesTotal = made->size;
        it.size = made->size;
        setStatus(id, status);
        return;
    }
    it.copyPath = made->path;
    status.note = StatusNote::SmallerVideoReady;
    status.error = {};
    status.copyBytes = made->size;
    status.copyWidth = made->width;
    status.copyHeight = made->height;
    setStatus(id, status);
    emit fitCopyReady(id, it.copyPath);
}

void MediaQueueModel::keepAsIs(const QString &id)
{
    if (!canKeepAsIs(id))
        return;
    const Item *it = find(id);
    UploadStatus status = it->status;
    status.state = State::Refused;
    status.note = StatusNote::None;
    status.error = deso::upload::videoTooLarge(it->size, it->status.videoLimit);
    setStatus(id, status);
}

void MediaQueueModel::discardCopy(const QString &id)
{
    if (!canDiscardCopy(id))
        return;
    if (UploadTask *task = m_tasks.take(id))
        task->deleteLater();
    const int row = rowOf(id);
    Item &it = m_items[row];
    removeCopy(it);
    it.status.state = State::Waiting;
    it.status.note = StatusNote::SmallerVideoOffered;
    it.status.error = {};
    it.status.bytesSent = 0;
    it.status.bytesTotal = it.size;
    it.status.copyBytes = 0;
    it.status.copyWidth = it.status.copyHeight = 0;
    changed(row);
}

void MediaQueueModel::removeCopy(Item &it)
{
    if (it.copyPath.isEmpty())
        return;
    const QString copy = std::exchange(it.copyPath, QString());
    if (!copyInUse(copy))
        QFile::remove(copy);
}

bool MediaQueueModel::copyInUse(const QString &copy) const
{
    // Only ever a copy is removed, never a creator's own file, and not while another row of
    // the same file still has it to send.
    return std::any_of(m_items.cbegin(), m_items.cend(), [&](const Item &other) {
        return other.copyPath == copy || QFileInfo(other.path) == QFileInfo(copy);
    });
}

// Totals and words -------------------------------------------------------------------

MediaQueueModel::Totals MediaQueueModel::totals() const
{
    Totals t;
    for (const Item &it : m_items) {
        const UploadStatus &s = it.status;
        ++t.items;
        switch (s.state) {
        case State::Done: ++t.done; break;
        case State::Failed: ++t.failed; break;
        case State::Refused: ++t.refused; continue;  // refused files never count as bytes to send
        case State::Processing:
        case State::Uploading: ++t.active; break;
        default: break;
        }
        t.bytesSent += s.state == State::Done ? s.bytesTotal : s.bytesSent;
        t.bytesTotal += s.bytesTotal;
        t.bytesPerSecond += s.bytesPerSecond;
    }
    return t;
}

QString MediaQueueModel::totalsText() const
{
    const Totals t = totals();
    if (t.items == 0)
        return tr("The queue is empty.");
    QStringList parts;
    parts << (t.items == 1 ? tr("1 file") : tr("%1 files").arg(t.items));
    if (t.done)
        parts << tr("%1 done").arg(t.done);
    if (t.active)
        parts << tr("%1 active").arg(t.active);
    if (t.failed)
        parts << tr("%1 failed").arg(t.failed);
    if (t.refused)
        parts << tr("%1 refused").arg(t.refused);
    if (t.bytesTotal > 0)
        parts << tr("%1 of %2 sent (%3 %)")
                     .arg(humanSize(t.bytesSent), humanSize(t.bytesTotal))
                     .arg(int(t.bytesSent * 100 / t.bytesTotal));
    if (t.bytesPerSecond > 0) {
        parts << tr("%1/s").arg(humanSize(qint64(t.bytesPerSecond)));
        const qint64 left = t.bytesTotal - t.bytesSent;
        if (left > 0)
            parts << tr("about %1 left").arg(humanDuration(qint64(std::ceil(double(left) / t.bytesPerSecond))));
    }
    return parts.join(QStringLiteral(" · "));
}

int MediaQueueModel::etaSeconds(const Item &it)
{
    const UploadStatus &s = it.status;
    if (s.state != State::Uploading || s.bytesPerSecond <= 0 || s.bytesTotal <= 0)
        return -1;
    return int(std::ceil(double(s.bytesTotal - s.bytesSent) / s.bytesPerSecond));
}

QString MediaQueueModel::detailText(const Item &it) const
{
    QStringList parts;
    parts << (it.mimeType.isEmpty() ? tr("unknown type") : it.mimeType) << humanSize(it.size);
    if (it.dimensions.isValid())
        parts << QStringLiteral("%1×%2").arg(it.dimensions.width()).arg(it.dimensions.height());
    QString text = parts.join(QStringLiteral(" · "));
    const UploadStatus &s = it.status;
    if (s.copyBytes > 0)  // the copy that fits beside the original
        text += tr(" → copy %1 · %2×%3").arg(humanSize(s.copyBytes)).arg(s.copyWidth).arg(s.copyHeight);
    return text;
}

QString MediaQueueModel::progressText(const Item &it) const
{
    const UploadStatus &s = it.status;
    switch (s.state) {
    case State::Done:
        if (s.video)
            return deso::upload::describe(s);
        return s.resultUrl.isEmpty() ? tr("Uploaded") : s.resultUrl;
    case State::Refused:
    case State::Failed:
    case State::Processing:
    case State::Waiting:
        return deso::upload::describe(s);
    case State::Paused:
    case State::Uploading: {
        QStringList parts;
        parts << tr("%1 of %2").arg(humanSize(s.bytesSent), humanSize(s.bytesTotal));
        if (s.state == State::Uploading && s.bytesPerSecond > 0) {
            parts << tr("%1/s").arg(humanSize(qint64(s.bytesPerSecond)));
            const int eta = etaSeconds(it);
            if (eta >= 0)
                parts << tr("%1 left").arg(humanDuration(eta));
        }
        if (s.state == State::Paused || s.note != StatusNote::None)
            parts << deso::upload::describe(s);
        return parts.join(QStringLiteral(" · "));
    }
    }
    return {};
}

// Saving -------------------------------------------------------------------------------

QJsonArray MediaQueueModel::toJson() const
{
    QJsonArray out;
    for (const Item &it : m_items) {
        if (it.status.state == State::Refused)
            continue;  // nothing to resume; the reason was shown when it was dropped
        QJsonObject saved{{QStringLiteral("id"), it.id},
                          {QStringLiteral("path"), it.path},
                          {QStringLiteral("status"), it.status.toJson()}};
        if (!it.copyPath.isEmpty())
            saved.insert(QStringLiteral("copyPath"), it.copyPath);
        out.append(saved);
    }
    return out;
}

int MediaQueueModel::restore(const QJsonArray &items)
{
    QList<Item> fresh;
    for (const QJsonValue &v : items) {
        const QJsonObject o = v.toObject();
        const QString path = o.value(QStringLiteral("path")).toString();
        if (path.isEmpty())
            continue;
        Item it = itemFor(path);  // re-checks the file: it may have gone or changed since
        const QString id = o.value(QStringLiteral("id")).toString();
        if (!id.isEmpty() && rowOf(id) < 0)
            it.id = id;
        if (it.status.state == State::Refused) {
            fresh.append(it);
            continue;
        }
        // Queues saved before status data was kept have the fields at the top level.
        const UploadStatus saved = UploadStatus::fromJson(o.contains(QStringLiteral("status"))
                                                              ? o.value(QStringLiteral("status")).toObject() : o);
        UploadStatus &s = it.status;
        s.resultUrl = saved.resultUrl;
        s.videoId = saved.videoId;
        s.uploadUrl = saved.uploadUrl;
        s.video = saved.video;
        if (saved.bytesTotal > 0)
            s.bytesTotal = saved.bytesTotal;
        switch (saved.state) {
        case State::Done:
            s.state = State::Done;
            s.note = StatusNote::None;
            s.bytesSent = s.bytesTotal;
            break;
        case State::Failed:
            s.state = State::Failed;
            s.note = saved.note;
            s.error = saved.error;
            break;
        case State::Uploading:
        case State::Paused:
            if (it.kind == Kind::Video && !s.uploadUrl.isEmpty()) {
                s.state = State::Paused;
                s.note = StatusNote::Resuming;
                s.bytesSent = saved.bytesSent;
                it.resumable = true;
                break;
            }
            [[fallthrough]];
        default:
            s.state = State::Waiting;
            s.bytesSent = 0;
            s.video.reset();
            break;
        }
        // A copy that fits, made in an earlier run and not sent yet, is used again.
        const QString copy = o.value(QStringLiteral("copyPath")).toString();
        if (it.smallerCopyCanFit && s.state != State::Done && !copy.isEmpty() && QFileInfo(copy).isFile()
            && QFileInfo(copy).size() <= s.videoLimit.bytes && saved.copyBytes > 0) {
            it.copyPath = copy;
            s.copyBytes = QFileInfo(copy).size();
            s.copyWidth = saved.copyWidth;
            s.copyHeight = saved.copyHeight;
            if (s.state == State::Waiting)
                s.note = StatusNote::SmallerVideoReady;
        }
        fresh.append(it);
    }
    if (fresh.isEmpty())
        return 0;
    beginInsertRows({}, int(m_items.size()), int(m_items.size() + fresh.size() - 1));
    m_items.append(fresh);
    endInsertRows();
    return int(fresh.size());
}

QString MediaQueueModel::humanSize(qint64 bytes)
{
    return QLocale::c().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

QString MediaQueueModel::humanDuration(qint64 seconds)
{
    if (seconds < 60)
        return QStringLiteral("%1 s").arg(seconds);
    if (seconds < 3600)
        return QStringLiteral("%1 min %2 s").arg(seconds / 60).arg(seconds % 60);
    return QStringLiteral("%1 h %2 min").arg(seconds / 3600).arg((seconds % 3600) / 60);
}
