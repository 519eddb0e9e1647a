#include "tus/tusuploadstore.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace deso::tus {

namespace {

QJsonObject readAll(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    // A damaged store only costs resumability, never an upload: start afresh.
    return QJsonDocument::fromJson(f.readAll()).object();
}

// Replaced whole through a temporary file and a rename, without fsync: the store
// only makes uploads resumable, so after a power loss an older (or, on some file
// systems, empty) store costs a fresh start, never an upload. An fsync here cost
// the uploader a disk flush three times per upload (issue 15: 60-80 ms each on a
// busy disk, with nothing else to do meanwhile).
Status writeAll(const QString &path, const QJsonObject &entries)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    const QString temporary = path + QStringLiteral(".writing");
    QFile f(temporary);
    const QByteArray text = QJsonDocument(entries).toJson(QJsonDocument::Indented);
    const bool written = f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(text) == text.size() && f.flush();
    const QString problem = f.errorString();
    f.close();
    if (!written || std::rename(QFile::encodeName(temporary).constData(), QFile::encodeName(path).constData()) != 0) {
        const QString why = written ? QString::fromLocal8Bit(std::strerror(errno)) : problem;
        QFile::remove(temporary);
        return Error(QStringLiteral("tus.store_unwritable"), QStringLiteral("Could not write the upload store %1: %2").arg(path, why));
    }
    return {};
}

} // namespace

TusUploadStore::TusUploadStore(QString storeFile) : m_storeFile(std::move(storeFile)) {}

QString TusUploadStore::defaultStoreFile()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)
           + QStringLiteral("/tus-uploads.json");
}

QString TusUploadStore::fingerprint(const QString &filePath)
{
    const QFileInfo info(filePath);
    if (!info.exists())
        return {};
    return QStringLiteral("%1|%2|%3")
        .arg(info.absoluteFilePath())
        .arg(info.size())
        .arg(info.lastModified().toMSecsSinceEpoch());
}

QString TusUploadStore::key(const QString &fingerprint, const QUrl &endpoint)
{
    return fingerprint + QStringLiteral("|") + endpoint.toString(QUrl::FullyEncoded);
}

std::optional<StoredUpload> TusUploadStore::find(const QString &fingerprint, const QUrl &endpoint) const
{
    if (fingerprint.isEmpty())
        return std::nullopt;
    const QJsonObject entry = readAll(m_storeFile).value(key(fingerprint, endpoint)).toObject();
    const QUrl url(entry.value(QStringLiteral("uploadUrl")).toString());
    if (!url.isValid() || url.isEmpty())
        return std::nullopt;
    StoredUpload upload;
    upload.uploadUrl = url;
    upload.mediaId = entry.value(QStringLiteral("mediaId")).toString();
    upload.size = entry.value(QStringLiteral("size")).toInteger();
    upload.createdAt = QDateTime::fromString(entry.value(QStringLiteral("createdAt")).toString(), Qt::ISODate);
    return upload;
}

Status TusUploadStore::remember(const QString &fingerprint, const QUrl &endpoint, const StoredUpload &upload)
{
    QJsonObject entries = readAll(m_storeFile);
    QJsonObject entry;
    entry.insert(QStringLiteral("uploadUrl"), upload.uploadUrl.toString(QUrl::FullyEncoded));
    entry.insert(QStringLiteral("mediaId"), upload.mediaId);
    entry.insert(QStringLiteral("size"), upload.size);
    entry.insert(QStringLiteral("createdAt"), upload.createdAt.toUTC().toString(Qt::ISODate));
    entries.insert(key(fingerprint, endpoint), entry);
    return writeAll(m_storeFile, entries);
}

Status TusUploadStore::forget(const QString &fingerprint, const QUrl &endpoint)
{
    QJsonObject entries = readAll(m_storeFile);
    if (!entries.contains(key(fingerprint, endpoint)))
        return {};
    entries.remove(key(fingerprint, endpoint));
    return writeAll(m_storeFile, entries);
}

} // namespace deso::tus
