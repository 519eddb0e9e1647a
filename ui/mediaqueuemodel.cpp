#include "mediaqueuemodel.h"

#include <QFileInfo>
#include <QJsonObject>
#include <QLocale>
#include <QMimeDatabase>
#include <QUuid>

#include <cmath>

namespace {
const QStringList kImageTypes = {QStringLiteral("image/jpeg"), QStringLiteral("image/png"),
                                 QStringLiteral("image/webp"), QStringLiteral("image/gif")};
const QStringList kVideoTypes = {QStringLiteral("video/mp4"), QStringLiteral("video/quicktime"),
                                 QStringLiteral("video/webm"), QStringLiteral("video/x-matroska")};

// The node's own limits, so a file that cannot succeed is refused before any upload.
constexpr qint64 kMaxImageBytes = 10'000'000;
// Bigger images are sent as a smaller copy (core/image's makeAcceptable); past this
// size even that is refused, to keep the memory it takes bounded.
constexpr qint64 kMaxShrinkableImageBytes = 64 * 1024 * 1024;
constexpr qint64 kMaxVideoBytes = 262'144'000;

QString stateKey(MediaQueueModel::State s)
{
    return MediaQueueModel::stateName(s);
}

MediaQueueModel::State stateFromKey(const QString &key)
{
    using S = MediaQueueModel::State;
    for (S s : {S::Waiting, S::Processing, S::Uploading, S::Paused, S::Done, S::Failed, S::Refused})
        if (MediaQueueModel::stateName(s) == key)
            return s;
    return S::Waiting;
}
} // namespace

MediaQueueModel::MediaQueueModel(QObject *parent) : QAbstractListModel(parent) {}

int MediaQueueModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_items.size());
}

QVariant MediaQueueModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_items.size())
        return {};
    const Item &it = m_items.at(index.row());
    switch (role) {
    case Qt::DisplayRole: {
        QString line = QStringLiteral("%1 — %2 — %3").arg(it.name, it.mimeType, humanSize(it.size));
        if (it.state == State::Refused || it.state == State::Failed)
            line += QStringLiteral(" — %1: %2").arg(stateName(it.state), it.reason);
        return line;
    }
    case Qt::ToolTipRole:
        return it.reason.isEmpty() ? it.path : QStringLiteral("%1\n%2").arg(it.path, it.reason);
    case Qt::DecorationRole:
    case ThumbnailRole: return it.thumbnail;
    case PathRole: return it.path;
    case NameRole: return it.name;
    case MimeTypeRole: return it.mimeType;
    case SizeRole: return it.size;
    case KindRole: return QVariant::fromValue(it.kind);
    case StateRole: return QVariant::fromValue(it.state);
    case ReasonRole: return it.reason;
    case IdRole: return it.id;
    case DimensionsRole: return it.dimensions;
    case BytesSentRole: return it.bytesSent;
    case BytesTotalRole: return it.bytesTotal;
    case SpeedRole: return it.bytesPerSecond;
    case EtaRole: return etaSeconds(it);
    case ProgressRole:
        if (it.state == State::Done)
            return 1000;
        if (it.bytesTotal <= 0)
            return -1;
        return int(std::min<qint64>(1000, it.bytesSent * 1000 / it.bytesTotal));
    case ResultUrlRole: return it.resultUrl;
    case VideoIdRole: return it.videoId;
    case RemoteStatusRole: return it.remoteStatus;
    case DetailRole: return detailText(it);
    case ProgressTextRole: return progressText(it);
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
                  {DetailRole, "detail"}, {ProgressTextRole, "progressText"}});
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

MediaQueueModel::Item MediaQueueModel::describe(const QString &path)
{
    Item it;
    it.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const QFileInfo info(path);
    it.path = info.absoluteFilePath();
    it.name = info.fileName();
    it.size = info.size();
    if (!info.exists()) {
        it.state = State::Refused;
        it.reason = QStringLiteral("The file does not exist.");
        return it;
    }
    if (!info.isFile() || !info.isReadable()) {
        it.state = State::Refused;
        it.reason = info.isDir() ? QStringLiteral("Folders cannot be uploaded; drop the files inside it.")
                                 : QStringLiteral("The file cannot be read.");
        return it;
    }
    // Content decides the type, not the file name.
    const QMimeType mime = QMimeDatabase().mimeTypeForFile(info, QMimeDatabase::MatchContent);
    it.mimeType = mime.name();
    if (kImageTypes.contains(it.mimeType)) {
        it.kind = Kind::Image;
        if (it.size > kMaxShrinkableImageBytes) {
            it.state = State::Refused;
            it.reason = QStringLiteral("Too large: the node takes images up to 10 MB, and this one (%1) is too big "
                                       "to shrink here (64 MB at most).")
                            .arg(humanSize(it.size));
        } else if (it.size > kMaxImageBytes) {
            it.reason = QStringLiteral("Over the node's 10 MB limit: a smaller copy will be sent.");
        }
    } else if (kVideoTypes.contains(it.mimeType)) {
        it.kind = Kind::Video;
        if (it.size > kMaxVideoBytes) {
            it.state = State::Refused;
            it.reason = QStringLiteral("Too large: the node takes videos up to 250 MB and this one is %1.")
                            .arg(humanSize(it.size));
        }
    } else {
        it.state = State::Refused;
        it.reason = QStringLiteral("Unsupported type %1: the node takes JPEG, PNG, WebP and GIF images and MP4, QuickTime and WebM videos.")
                        .arg(it.mimeType);
    }
    if (it.size == 0 && it.state != State::Refused) {
        it.state = State::Refused;
        it.reason = QStringLiteral("The file is empty.");
    }
    it.bytesTotal = it.size;
    return it;
}

int MediaQueueModel::addFiles(const QStringList &paths)
{
    if (paths.isEmpty())
        return 0;
    QList<Item> fresh;
    fresh.reserve(paths.size());
    for (const QString &p : paths)
        fresh.append(describe(p));
    beginInsertRows({}, int(m_items.size()), int(m_items.size() + fresh.size() - 1));
    m_items.append(fresh);
    endInsertRows();
    return int(fresh.size());
}

void MediaQueueModel::removeRow(int row)
{
    if (row < 0 || row >= m_items.size())
        return;
    beginRemoveRows({}, row, row);
    m_rate.remove(m_items.at(row).id);
    m_items.removeAt(row);
    endRemoveRows();
}

void MediaQueueModel::clearFinished()
{
    for (int row = int(m_items.size()) - 1; row >= 0; --row) {
        const State s = m_items.at(row).state;
        if (s == State::Done || s == State::Refused)
            removeRow(row);
    }
}

void MediaQueueModel::changed(int row)
{
    const QModelIndex idx = index(row);
    emit dataChanged(idx, idx);
}

void MediaQueueModel::setState(const QString &id, State state, const QString &reason)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    Item &it = m_items[row];
    it.state = state;
    it.reason = reason;
    if (state != State::Paused)
        it.resumable = false;
    if (state != State::Uploading) {
        it.bytesPerSecond = 0;
        m_rate.remove(id);
    }
    if (state == State::Done && it.bytesTotal > 0)
        it.bytesSent = it.bytesTotal;
    changed(row);
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

void MediaQueueModel::setDimensions(const QString &id, const QSize &dimensions)
{
    const int row = rowOf(id);
    if (row < 0 || !dimensions.isValid())
        return;
    m_items[row].dimensions = dimensions;
    changed(row);
}

void MediaQueueModel::setProgress(const QString &id, qint64 sent, qint64 total, double speed)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    Item &it = m_items[row];
    if (speed >= 0) {
        it.bytesPerSecond = speed;
        it.bytesSent = sent;
        if (total > 0)
            it.bytesTotal = total;
        changed(row);
        return;
    }
    // Speed: bytes over time between samples at least 250 ms apart, smoothed so the
    // number shown does not flicker with every chunk.
    RateSample &sample = m_rate[id];
    if (!sample.clock.isValid() || sent < sample.bytes) {
        sample.clock.start();
        sample.bytes = sent;
    } else if (sample.clock.elapsed() >= 250) {
        const double instant = double(sent - sample.bytes) * 1000.0 / double(sample.clock.elapsed());
        it.bytesPerSecond = it.bytesPerSecond <= 0 ? instant : 0.7 * it.bytesPerSecond + 0.3 * instant;
        sample.clock.restart();
        sample.bytes = sent;
    }
    it.bytesSent = sent;
    if (total > 0)
        it.bytesTotal = total;
    changed(row);
}

void MediaQueueModel::resetProgress(const QString &id)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    Item &it = m_items[row];
    it.bytesSent = 0;
    it.bytesPerSecond = 0;
    m_rate.remove(id);
    changed(row);
}

void MediaQueueModel::setResultUrl(const QString &id, const QString &url)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    m_items[row].resultUrl = url;
    changed(row);
}

void MediaQueueModel::setVideoUpload(const QString &id, const QString &uploadUrl, const QString &videoId)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    if (!uploadUrl.isEmpty())
        m_items[row].uploadUrl = uploadUrl;
    if (!videoId.isEmpty())
        m_items[row].videoId = videoId;
    changed(row);
}

void MediaQueueModel::setRemoteStatus(const QString &id, const QString &status)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    m_items[row].remoteStatus = status;
    changed(row);
}

MediaQueueModel::Totals MediaQueueModel::totals() const
{
    Totals t;
    for (const Item &it : m_items) {
        ++t.items;
        switch (it.state) {
        case State::Done: ++t.done; break;
        case State::Failed: ++t.failed; break;
        case State::Refused: ++t.refused; continue;  // refused files never count as bytes to send
        case State::Processing:
        case State::Uploading: ++t.active; break;
        default: break;
        }
        t.bytesSent += it.state == State::Done ? it.bytesTotal : it.bytesSent;
        t.bytesTotal += it.bytesTotal;
        t.bytesPerSecond += it.bytesPerSecond;
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
    if (it.state != State::Uploading || it.bytesPerSecond <= 0 || it.bytesTotal <= 0)
        return -1;
    return int(std::ceil(double(it.bytesTotal - it.bytesSent) / it.bytesPerSecond));
}

QString MediaQueueModel::detailText(const Item &it) const
{
    QStringList parts;
    parts << (it.mimeType.isEmpty() ? tr("unknown type") : it.mimeType) << humanSize(it.size);
    if (it.dimensions.isValid())
        parts << QStringLiteral("%1×%2").arg(it.dimensions.width()).arg(it.dimensions.height());
    return parts.join(QStringLiteral(" · "));
}

QString MediaQueueModel::progressText(const Item &it) const
{
    switch (it.state) {
    case State::Refused:
    case State::Failed:
        return it.reason;
    case State::Done:
        if (!it.remoteStatus.isEmpty())
            return it.remoteStatus;
        return it.resultUrl.isEmpty() ? tr("Uploaded") : it.resultUrl;
    case State::Processing:
        return it.reason.isEmpty() ? tr("Preparing…") : it.reason;
    case State::Waiting:
        return it.reason.isEmpty() ? tr("Waiting to upload") : it.reason;
    case State::Paused:
    case State::Uploading: {
        QStringList parts;
        parts << tr("%1 of %2").arg(humanSize(it.bytesSent), humanSize(it.bytesTotal));
        if (it.state == State::Uploading && it.bytesPerSecond > 0) {
            parts << tr("%1/s").arg(humanSize(qint64(it.bytesPerSecond)));
            const int eta = etaSeconds(it);
            if (eta >= 0)
                parts << tr("%1 left").arg(humanDuration(eta));
        }
        if (it.state == State::Paused)
            parts << (it.resumable ? tr("paused; resumes where it stopped") : tr("paused"));
        if (!it.remoteStatus.isEmpty())
            parts << it.remoteStatus;
        return parts.join(QStringLiteral(" · "));
    }
    }
    return {};
}

QJsonArray MediaQueueModel::toJson() const
{
    QJsonArray out;
    for (const Item &it : m_items) {
        if (it.state == State::Refused)
            continue;  // nothing to resume; the reason was shown when it was dropped
        out.append(QJsonObject{
            {QStringLiteral("id"), it.id},
            {QStringLiteral("path"), it.path},
            {QStringLiteral("state"), stateKey(it.state)},
            {QStringLiteral("reason"), it.reason},
            {QStringLiteral("bytesSent"), double(it.bytesSent)},
            {QStringLiteral("bytesTotal"), double(it.bytesTotal)},
            {QStringLiteral("resultUrl"), it.resultUrl},
            {QStringLiteral("videoId"), it.videoId},
            {QStringLiteral("uploadUrl"), it.uploadUrl},
            {QStringLiteral("remoteStatus"), it.remoteStatus},
        });
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
        Item it = describe(path);  // re-checks the file: it may have gone or changed since
        const QString id = o.value(QStringLiteral("id")).toString();
        if (!id.isEmpty() && rowOf(id) < 0)
            it.id = id;
        if (it.state == State::Refused) {
            fresh.append(it);
            continue;
        }
        const State saved = stateFromKey(o.value(QStringLiteral("state")).toString());
        it.resultUrl = o.value(QStringLiteral("resultUrl")).toString();
        it.videoId = o.value(QStringLiteral("videoId")).toString();
        it.uploadUrl = o.value(QStringLiteral("uploadUrl")).toString();
        it.remoteStatus = o.value(QStringLiteral("remoteStatus")).toString();
        const qint64 total = qint64(o.value(QStringLiteral("bytesTotal")).toDouble());
        if (total > 0)
            it.bytesTotal = total;
        switch (saved) {
        case State::Done:
            it.state = State::Done;
            it.bytesSent = it.bytesTotal;
            break;
        case State::Failed:
            it.state = State::Failed;
            it.reason = o.value(QStringLiteral("reason")).toString();
            break;
        case State::Uploading:
        case State::Paused:
            if (it.kind == Kind::Video && !it.uploadUrl.isEmpty()) {
                it.state = State::Paused;
                it.resumable = true;
                it.bytesSent = qint64(o.value(QStringLiteral("bytesSent")).toDouble());
                break;
            }
            [[fallthrough]];
        default:
            it.state = State::Waiting;
            it.bytesSent = 0;
            break;
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

QString MediaQueueModel::stateName(State state)
{
    switch (state) {
    case State::Waiting: return QStringLiteral("waiting");
    case State::Processing: return QStringLiteral("processing");
    case State::Uploading: return QStringLiteral("uploading");
    case State::Paused: return QStringLiteral("paused");
    case State::Done: return QStringLiteral("done");
    case State::Failed: return QStringLiteral("failed");
    case State::Refused: return QStringLiteral("refused");
    }
    return {};
}
