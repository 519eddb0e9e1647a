#include "mediaqueuemodel.h"

#include <QFileInfo>
#include <QLocale>
#include <QMimeDatabase>

namespace {
const QStringList kImageTypes = {QStringLiteral("image/jpeg"), QStringLiteral("image/png"),
                                 QStringLiteral("image/webp"), QStringLiteral("image/gif")};
const QStringList kVideoTypes = {QStringLiteral("video/mp4"), QStringLiteral("video/quicktime"),
                                 QStringLiteral("video/webm"), QStringLiteral("video/x-matroska")};
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
    case Qt::ToolTipRole: return it.path;
    case PathRole: return it.path;
    case NameRole: return it.name;
    case MimeTypeRole: return it.mimeType;
    case SizeRole: return it.size;
    case KindRole: return QVariant::fromValue(it.kind);
    case StateRole: return QVariant::fromValue(it.state);
    case ReasonRole: return it.reason;
    default: return {};
    }
}

QHash<int, QByteArray> MediaQueueModel::roleNames() const
{
    auto names = QAbstractListModel::roleNames();
    names.insert({{PathRole, "path"}, {NameRole, "name"}, {MimeTypeRole, "mimeType"},
                  {SizeRole, "size"}, {KindRole, "kind"}, {StateRole, "state"},
                  {ReasonRole, "reason"}});
    return names;
}

MediaQueueModel::Item MediaQueueModel::describe(const QString &path)
{
    Item it;
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
    } else if (kVideoTypes.contains(it.mimeType)) {
        it.kind = Kind::Video;
    } else {
        it.state = State::Refused;
        it.reason = QStringLiteral("Unsupported type %1: the node takes JPEG, PNG, WebP and GIF images and MP4, QuickTime and WebM videos.")
                        .arg(it.mimeType);
    }
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

QString MediaQueueModel::humanSize(qint64 bytes)
{
    return QLocale::c().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
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
