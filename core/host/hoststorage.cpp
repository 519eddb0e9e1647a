#include "host/hoststorage.h"

#include "host/endpointhost.h"
#include "host/s3storage.h"
#include "video/hlstranscoder.h"

#include <QDir>
#include <QFileInfo>
#include <QSaveFile>
#include <QStorageInfo>

namespace deso::host {

QString imageKey(const QString &name)
{
    return QStringLiteral("images/") + name;
}

QString uploadMediaKey(const QString &id, const QString &relativePath)
{
    return QStringLiteral("uploads/") + id + QStringLiteral("/media/") + relativePath;
}

QString uploadDataKey(const QString &id)
{
    return QStringLiteral("uploads/") + id + QStringLiteral("/data");
}

LocalDirStorage::LocalDirStorage(QString dataDir) : m_dataDir(std::move(dataDir))
{
}

Status LocalDirStorage::open()
{
    if (auto s = m_uploads.open(QDir(m_dataDir).filePath(QStringLiteral("uploads"))); !s.ok())
        return s;
    const QString images = pathOf(imageKey({}));
    if (!QDir().mkpath(images))
        return Error(QStringLiteral("host.data_dir"), QStringLiteral("Cannot create %1.").arg(images));
    return {};
}

QString LocalDirStorage::description() const
{
    return QDir::toNativeSeparators(m_dataDir);
}

QString LocalDirStorage::pathOf(const QString &key) const
{
    return QDir(m_dataDir).filePath(key);
}

Result<bool> LocalDirStorage::exists(const QString &key)
{
    return QFileInfo::exists(pathOf(key));
}

Status LocalDirStorage::put(const QString &key, const QByteArray &bytes, const QByteArray &contentType)
{
    Q_UNUSED(contentType);
    const QString path = pathOf(key);
    // QSaveFile writes a temporary file and renames it only when all of it is on
    // disk; a failed write (a full disk) removes the temporary file, so nothing
    // partial is ever visible under its name.
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size() || !f.commit()) {
        // Qt reports ENOSPC as ResourceError; the free space says it too.
        if (f.error() == QFileDevice::ResourceError || QStorageInfo(QFileInfo(path).path()).bytesAvailable() < bytes.size())
            return Error(QStringLiteral("host.disk_full"),
                         QStringLiteral("the host's disk is full; free some space and upload the image again"), 507);
        return Error(QStringLiteral("host.storage"), QStringLiteral("could not store the image"), 500);
    }
    return {};
}

Admission LocalDirStorage::serve(const HttpRequest &request, const QString &key, const QByteArray &contentType,
                                 const HeaderList &headers, const QString &notFoundMessage)
{
    const QFileInfo info(pathOf(key));
    if (!info.isFile())
        return Admission::answer(HttpResponse::error(404, notFoundMessage));
    HttpResponse r = HttpResponse::file(info.filePath(), info.size(), contentType, request.header("range"));
    if (r.status == 200 || r.status == 206) {
        for (const auto &h : headers)
            r.setHeader(h.first, h.second);
    }
    return Admission::answer(std::move(r));
}

Result<QString> LocalDirStorage::processingSource(const QString &id, const QString &scratchDir)
{
    Q_UNUSED(scratchDir);
    return m_uploads.dataPath(id);
}

bool LocalDirStorage::outputsPublished(const QString &id)
{
    // The staging folder is renamed to mediaDir only when everything is written.
    return QFile::exists(QDir(m_uploads.mediaDir(id)).filePath(video::HlsTranscoder::masterPlaylistName()));
}

QString LocalDirStorage::outputsStaging(const QString &id, const QString &scratchDir)
{
    Q_UNUSED(scratchDir);
    // Beside mediaDir, so publishing is one rename.
    return m_uploads.mediaDir(id) + QStringLiteral(".partial");
}

Status LocalDirStorage::publishOutputs(const QString &id, const QString &stagingDir)
{
    const QString mediaDir = m_uploads.mediaDir(id);
    QDir(mediaDir).removeRecursively();
    if (!QDir().rename(stagingDir, mediaDir)) {
        QDir(stagingDir).removeRecursively();
        return Error(QStringLiteral("ERR_UNKNOWN"), QStringLiteral("Cannot store the processed video."), 500);
    }
    return {};
}

QString LocalDirStorage::scratchDir() const
{
    return m_uploads.stagingDir();
}

Result<std::unique_ptr<HostStorage>> makeHostStorage(const HostConfig &config)
{
    const QString storage = config.storage.trimmed();
    if (storage.startsWith(QLatin1String("s3://")))
        return makeS3Storage(config);
    QString dir = config.dataDir;
    if (storage.startsWith(QLatin1String("dir:")))
        dir = storage.mid(4);
    else if (!storage.isEmpty())
        return Error(QStringLiteral("host.storage_spec"),
                     QStringLiteral("Storage must be dir:PATH or s3://BUCKET[/PREFIX], not %1.").arg(storage.left(80)));
    if (dir.isEmpty())
        return Error(QStringLiteral("host.data_dir"), QStringLiteral("The endpoint host needs a data directory."));
    return std::unique_ptr<HostStorage>(std::make_unique<LocalDirStorage>(dir));
}

} // namespace deso::host
