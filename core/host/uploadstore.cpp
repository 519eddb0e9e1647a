#include "host/uploadstore.h"

#include "tus/tusprotocol.h"

#include <QDebug>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStorageInfo>

#include <cstdio>

namespace deso::host {

QString videoStateName(VideoState state)
{
    switch (state) {
    case VideoState::PendingUpload: return QStringLiteral("pendingupload");
    case VideoState::InProgress: return QStringLiteral("inprogress");
    case VideoState::Ready: return QStringLiteral("ready");
    case VideoState::Error: return QStringLiteral("error");
    case VideoState::Queued: return QStringLiteral("queued");
    }
    return {};
}

static VideoState stateFromName(const QString &name)
{
    if (name == QLatin1String("inprogress")) return VideoState::InProgress;
    if (name == QLatin1String("ready")) return VideoState::Ready;
    if (name == QLatin1String("error")) return VideoState::Error;
    if (name == QLatin1String("queued")) return VideoState::Queued;
    return VideoState::PendingUpload;
}

QString randomHex(int bytes)
{
    QByteArray raw(bytes, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(raw.data()), bytes / 4);
    return QString::fromLatin1(raw.toHex());
}

QJsonObject uploadRecordJson(const UploadRecord &r)
{
    QJsonObject o{
        {QStringLiteral("token"), QString::fromLatin1(r.token)},
        {QStringLiteral("length"), r.length},
        {QStringLiteral("offset"), r.offset},
        {QStringLiteral("metadataHeader"), QString::fromLatin1(r.metadataHeader)},
        {QStringLiteral("createdAt"), r.createdAt.toString(Qt::ISODateWithMs)},
        {QStringLiteral("expiresAt"), r.expiresAt.toString(Qt::ISODateWithMs)},
        {QStringLiteral("state"), videoStateName(r.state)},
        {QStringLiteral("duration"), r.durationSeconds},
        {QStringLiteral("width"), r.width},
        {QStringLiteral("height"), r.height},
        {QStringLiteral("errorCode"), r.errorCode},
        {QStringLiteral("errorMessage"), r.errorMessage},
        {QStringLiteral("mimeType"), r.mimeType},
        {QStringLiteral("playbackId"), r.playbackId},
    };
    if (!r.backendState.isEmpty())
        o.insert(QStringLiteral("backend"), r.backendState);
    return o;
}

std::shared_ptr<UploadRecord> uploadRecordFromJson(const QString &id, const QJsonObject &o)
{
    auto r = std::make_shared<UploadRecord>();
    r->id = id;
    r->token = o.value(QStringLiteral("token")).toString().toLatin1();
    r->length = o.value(QStringLiteral("length")).toInteger(-1);
    r->offset = o.value(QStringLiteral("offset")).toInteger(-1);
    r->metadataHeader = o.value(QStringLiteral("metadataHeader")).toString().toLatin1();
    r->metadata = tus::parseUploadMetadata(r->metadataHeader).ok() ? *tus::parseUploadMetadata(r->metadataHeader)
                                                             : QMap<QString, QByteArray>{};
    r->createdAt = QDateTime::fromString(o.value(QStringLiteral("createdAt")).toString(), Qt::ISODateWithMs);
    r->expiresAt = QDateTime::fromString(o.value(QStringLiteral("expiresAt")).toString(), Qt::ISODateWithMs);
    r->state = stateFromName(o.value(QStringLiteral("state")).toString());
    r->durationSeconds = o.value(QStringLiteral("duration")).toDouble();
    r->width = o.value(QStringLiteral("width")).toInt();
    r->height = o.value(QStringLiteral("height")).toInt();
    r->errorCode = o.value(QStringLiteral("errorCode")).toString();
    r->errorMessage = o.value(QStringLiteral("errorMessage")).toString();
    r->mimeType = o.value(QStringLiteral("mimeType")).toString();
    r->playbackId = o.value(QStringLiteral("playbackId")).toString();
    r->processingProgress = r->state == VideoState::Ready ? 1.0 : 0.0;
    r->backendState = o.value(QStringLiteral("backend")).toObject();
    if (r->token.size() < 32 || r->length < 0 || r->offset < 0 || r->offset > r->length)
        return nullptr;
    return r;
}

Status LocalUploadStore::open(const QString &dir)
{
    m_dir = dir;
    m_byId.clear();
    m_idByToken.clear();
    if (!QDir().mkpath(dir))
        return Error(QStringLiteral("host.data_dir"), QStringLiteral("Cannot create the upload directory %1.").arg(dir));
    static const QRegularExpression idRe(QStringLiteral("^[0-9a-f]{32}$"));
    const QStringList entries = QDir(dir).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &id : entries) {
        if (!idRe.match(id).hasMatch())
            continue;
        auto rec = load(id);
        if (!rec.ok())
            continue; // a half-created upload (no info.json yet) is not resumable; leave it for inspection
        m_byId.insert(id, rec.value());
        m_idByToken.insert(rec.value()->token, id);
    }
    return {};
}

Result<std::shared_ptr<UploadRecord>> LocalUploadStore::load(const QString &id)
{
    QFile f(QDir(m_dir).filePath(id + QStringLiteral("/info.json")));
    if (!f.open(QIODevice::ReadOnly))
        return Error(QStringLiteral("host.upload_missing"), QStringLiteral("No record for upload %1.").arg(id));
    auto r = uploadRecordFromJson(id, QJsonDocument::fromJson(f.read(1 << 20)).object());
    if (!r)
        return Error(QStringLiteral("host.upload_corrupt"), QStringLiteral("The record of upload %1 is damaged.").arg(id));
    // The data file may hold bytes past the recorded offset (written, not yet
    // recorded when the host stopped); they are overwritten on resume. Fewer
    // bytes than recorded would mean lost data: refuse to pretend.
    if (QFileInfo(dataPath(id)).size() < r->offset)
        return Error(QStringLiteral("host.upload_corrupt"), QStringLiteral("Upload %1 has fewer bytes than recorded.").arg(id));
    return r;
}

Result<std::shared_ptr<UploadRecord>> LocalUploadStore::create(qint64 length, const QByteArray &metadataHeader,
                                                          const QMap<QString, QByteArray> &metadata,
                                                          const QDateTime &expiresAt)
{
    auto r = std::make_shared<UploadRecord>();
    do {
        r->id = randomHex(16);
    } while (m_byId.contains(r->id));
    r->token = randomHex(32).toLatin1(); // 256 bits: the URL is the credential
    r->length = length;
    r->metadataHeader = metadataHeader;
    r->metadata = metadata;
    r->createdAt = QDateTime::currentDateTimeUtc();
    r->expiresAt = expiresAt;
    const QString dir = QDir(m_dir).filePath(r->id);
    if (!QDir().mkpath(dir))
        return Error(QStringLiteral("host.storage"), QStringLiteral("Cannot create storage for the upload."), 500);
    QFile data(dataPath(r->id));
    if (!data.open(QIODevice::WriteOnly))
        return Error(QStringLiteral("host.storage"), QStringLiteral("Cannot create storage for the upload."), 500);
    data.close();
    if (auto s = save(*r); !s.ok())
        return s.error();
    m_byId.insert(r->id, r);
    m_idByToken.insert(r->token, r->id);
    return r;
}

Result<std::shared_ptr<UploadRecord>> LocalUploadStore::byToken(const QByteArray &token) const
{
    const QString id = m_idByToken.value(token);
    return id.isEmpty() ? nullptr : m_byId.value(id);
}

std::shared_ptr<UploadRecord> LocalUploadStore::byId(const QString &id) const
{
    return m_byId.value(id);
}

QList<std::shared_ptr<UploadRecord>> LocalUploadStore::all() const
{
    return m_byId.values();
}

QString LocalUploadStore::dataPath(const QString &id) const
{
    return QDir(m_dir).filePath(id + QStringLiteral("/data"));
}

QString LocalUploadStore::stagingDir() const
{
    return QDir(m_dir).filePath(QStringLiteral(".incoming"));
}

Status LocalUploadStore::adoptFile(const QString &id, const QString &stagedPath)
{
    if (::rename(QFile::encodeName(stagedPath).constData(), QFile::encodeName(dataPath(id)).constData()) != 0)
        return Error(QStringLiteral("host.storage"), QStringLiteral("The host could not store the upload."), 500);
    return {};
}

QString LocalUploadStore::mediaDir(const QString &id) const
{
    return QDir(m_dir).filePath(id + QStringLiteral("/media"));
}

std::shared_ptr<UploadRecord> LocalUploadStore::byPlaybackId(const QString &playbackId) const
{
    if (playbackId.isEmpty())
        return nullptr;
    for (const auto &r : m_byId) {
        if (r->playbackId == playbackId)
            return r;
    }
    return nullptr;
}

Status LocalUploadStore::save(const UploadRecord &r)
{
    const QJsonObject o = uploadRecordJson(r);
    QSaveFile f(QDir(m_dir).filePath(r.id + QStringLiteral("/info.json")));
    if (!f.open(QIODevice::WriteOnly) || f.write(QJsonDocument(o).toJson()) < 0 || !f.commit()) {
        // The disk is full (Qt reports ENOSPC as ResourceError; the free space says it
        // too); the old info.json stays as it was.
        if (f.error() == QFileDevice::ResourceError || QStorageInfo(m_dir).bytesAvailable() < 64 * 1024)
            return Error(QStringLiteral("host.disk_full"),
                         QStringLiteral("The host's disk is full, so the upload's progress could not be recorded; "
                                        "free some space and send the rest again."),
                         507);
        return Error(QStringLiteral("host.storage"), QStringLiteral("Cannot record the upload's progress on disk."), 500);
    }
    return {};
}

Status LocalUploadStore::remove(const QString &id)
{
    if (m_removalObserver)
        m_removalObserver(id);
    auto r = m_byId.take(id);
    if (r)
        m_idByToken.remove(r->token);
    if (!QDir(QDir(m_dir).filePath(id)).removeRecursively())
        return Error(QStringLiteral("host.storage"), QStringLiteral("Cannot delete the upload's files."), 500);
    return {};
}

QStringList LocalUploadStore::purgeExpired(const QDateTime &now)
{
    QStringList gone;
    const auto records = m_byId.values();
    for (const auto &r : records) {
        if (!r->complete() && !r->busy && r->expiresAt.isValid() && r->expiresAt <= now) {
            // Forgotten either way (no client can resume it); files that would not
            // go are reported, and removed with the data dir's next cleanup.
            if (auto removed = remove(r->id); !removed.ok())
                qWarning().noquote() << QStringLiteral("Expired upload %1: %2").arg(r->id, removed.error().message);
            gone.append(r->id);
        }
    }
    return gone;
}

} // namespace deso::host
