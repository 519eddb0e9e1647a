#include "host/storagequota.h"

#include <QDirIterator>
#include <QFileInfo>
#include <QStorageInfo>

#include <cerrno>

namespace deso::host {

namespace {
QString mib(qint64 bytes)
{
    return QString::number(double(bytes) / (1024.0 * 1024.0), 'f', 1);
}
} // namespace

StorageQuota StorageQuota::forDirectory(const QString &dataDir, qint64 configuredBytes)
{
    StorageQuota q;
    q.m_dir = dataDir;
    if (configuredBytes >= 0) {
        q.m_limit = configuredBytes;
        return q;
    }
    const QStorageInfo storage(dataDir);
    const qint64 available = storage.isValid() ? storage.bytesAvailable() : -1;
    // Unknown free space: no bound rather than a made-up one.
    q.m_limit = available > 0 ? q.usedBytes() + available / 2 : 0;
    return q;
}

qint64 StorageQuota::usedBytes() const
{
    qint64 total = 0;
    QDirIterator it(m_dir, QDir::Files | QDir::Hidden | QDir::NoSymLinks, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        total += it.fileInfo().size();
    }
    return total;
}

Status StorageQuota::admit(qint64 moreBytes, qint64 reservedBytes) const
{
    if (!bounded())
        return {};
    const qint64 used = usedBytes() + reservedBytes;
    if (moreBytes <= m_limit - used)
        return {};
    return Error(QStringLiteral("host.quota"),
                 QStringLiteral("The host's storage limit is reached: %1 MiB of %2 MiB are in use or reserved by "
                                "unfinished uploads, and this upload needs %3 MiB more. Free space in the data folder "
                                "or raise --max-storage.")
                     .arg(mib(used), mib(m_limit), mib(moreBytes)),
                 507);
}

bool isDiskFull(int errnoValue)
{
    return errnoValue == ENOSPC || errnoValue == EDQUOT;
}

Error storageWriteError(int errnoValue, const QString &code, const QString &otherwise)
{
    if (isDiskFull(errnoValue))
        return Error(code, QStringLiteral("The host's disk is full; what was stored before is kept. "
                                          "Free some space and send the rest again."),
                     507);
    return Error(code, otherwise, 500);
}

} // namespace deso::host
