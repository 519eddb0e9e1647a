#pragma once
// The bound on the host's data dir (issue 17): an upload that would take the
// stored bytes past it is refused with 507 and a sentence, so a page or a
// client that keeps uploading fills the quota, never the disk. Incomplete tus
// uploads count with their whole Upload-Length (the bytes they will take).

#include "common/result.h"

#include <QString>

namespace deso::host {

class StorageQuota {
public:
    // configuredBytes: > 0 the bound; 0 no bound; < 0 the default, half of the
    // free space on the data dir's filesystem now plus what is stored already.
    static StorageQuota forDirectory(const QString &dataDir, qint64 configuredBytes);

    qint64 limitBytes() const { return m_limit; } // 0: none
    bool bounded() const { return m_limit > 0; }

    // Bytes the data dir's files take now (walks the tree; thread-safe).
    qint64 usedBytes() const;
    // OK when `moreBytes` fit beside `usedBytes() + reservedBytes`; else 507 "host.quota".
    Status admit(qint64 moreBytes, qint64 reservedBytes) const;

private:
    QString m_dir;
    qint64 m_limit = 0;
};

// 507 with a sentence for a write that failed because the disk is full
// (ENOSPC/EDQUOT), else 500 with `otherwise`.
Error storageWriteError(int errnoValue, const QString &code, const QString &otherwise);
bool isDiskFull(int errnoValue);

} // namespace deso::host
