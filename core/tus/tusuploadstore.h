#pragma once
// Remembers tus upload URLs so that an upload survives an app restart: one entry per
// (file fingerprint, creation endpoint), kept in a small JSON file under
// QStandardPaths::AppDataLocation. The fingerprint is path + size + mtime, so an edited
// file never resumes into the bytes of its older version.

#include "common/result.h"

#include <QDateTime>
#include <QString>
#include <QUrl>

#include <optional>

namespace deso::tus {

struct StoredUpload {
    QUrl uploadUrl;      // the tus upload URL (Location of the creation response)
    QString mediaId;     // last non-empty Stream-Media-Id seen, if any
    qint64 size = 0;     // Upload-Length announced at creation
    QDateTime createdAt; // when the upload was created (UTC)
};

class TusUploadStore {
public:
    // The store file; by default <AppDataLocation>/tus-uploads.json.
    explicit TusUploadStore(QString storeFile = defaultStoreFile());

    static QString defaultStoreFile();
    // "absolute path|size|mtime in ms"; empty when the file does not exist.
    static QString fingerprint(const QString &filePath);

    QString storeFile() const { return m_storeFile; }

    std::optional<StoredUpload> find(const QString &fingerprint, const QUrl &endpoint) const;
    Status remember(const QString &fingerprint, const QUrl &endpoint, const StoredUpload &upload);
    Status forget(const QString &fingerprint, const QUrl &endpoint);

private:
    static QString key(const QString &fingerprint, const QUrl &endpoint);

    QString m_storeFile;
};

} // namespace deso::tus
