#pragma once
// Durable records of tus uploads and the videos they become. Each upload lives
// in <dir>/<id>/ as `data` (the bytes) and `info.json` (length, offset, metadata,
// token, expiry, probe results). The recorded offset never runs ahead of the
// bytes on disk: data is fdatasync'ed before info.json is replaced (QSaveFile,
// which syncs and renames), so after a crash the offset is safe to resume from.

#include "common/result.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QMap>
#include <QString>

#include <functional>
#include <memory>

namespace deso::host {

// The video service's states that this host can honestly be in. Queued: the
// upload is complete and its processing job waits for a slot; InProgress: the
// job runs (HLS ladder, poster, download MP4: see host/videoprocessing.h).
enum class VideoState { PendingUpload, InProgress, Ready, Error, Queued };
QString videoStateName(VideoState state);

struct UploadRecord {
    QString id;               // Stream-Media-Id: 32 lowercase hex
    QByteArray token;         // the unguessable part of the tus URL
    qint64 length = 0;
    qint64 offset = 0;
    QByteArray metadataHeader;           // Upload-Metadata as sent
    QMap<QString, QByteArray> metadata;  // decoded values
    QDateTime createdAt;
    QDateTime expiresAt;      // for incomplete uploads only
    VideoState state = VideoState::PendingUpload;
    double durationSeconds = 0;
    int width = 0;
    int height = 0;
    QString errorCode;        // ERR_NON_VIDEO, ERR_MALFORMED_VIDEO, ...
    QString errorMessage;
    QString mimeType;         // of the finished video, from the probe
    // Processing (host/videoprocessing.h). The outputs live in mediaDir(id).
    double processingProgress = 0; // 0..1 while Queued/InProgress; 1 once Ready (not persisted)
    QString playbackId;       // names /hls/<playbackId>/, /thumbnails/<playbackId>.jpg, /download/<playbackId>.mp4

    bool busy = false;        // a PATCH is streaming into it (not persisted)
    bool complete() const { return offset == length; }
};

class UploadStore {
public:
    // Loads every upload found under `dir` (created when missing).
    Status open(const QString &dir);
    QString directory() const { return m_dir; }

    Result<std::shared_ptr<UploadRecord>> create(qint64 length, const QByteArray &metadataHeader,
                                                 const QMap<QString, QByteArray> &metadata,
                                                 const QDateTime &expiresAt);
    std::shared_ptr<UploadRecord> byToken(const QByteArray &token) const;
    std::shared_ptr<UploadRecord> byId(const QString &id) const;
    QList<std::shared_ptr<UploadRecord>> all() const;

    QString dataPath(const QString &id) const;
    // The processed outputs (HLS ladder, poster, download MP4) of upload `id`,
    // inside its folder so that removing the upload removes them too.
    QString mediaDir(const QString &id) const;
    std::shared_ptr<UploadRecord> byPlaybackId(const QString &playbackId) const;
    // Told the id of every upload about to be removed (deleted or expired), so
    // its processing can stop first.
    void setRemovalObserver(std::function<void(const QString &id)> observer) { m_removalObserver = std::move(observer); }
    // Atomically replaces info.json (synced to disk).
    Status save(const UploadRecord &record);
    Status remove(const QString &id);
    // Deletes incomplete uploads whose expiry has passed; returns their ids.
    QStringList purgeExpired(const QDateTime &now);

private:
    Result<std::shared_ptr<UploadRecord>> load(const QString &id);

    QString m_dir;
    QHash<QString, std::shared_ptr<UploadRecord>> m_byId;
    QHash<QByteArray, QString> m_idByToken;
    std::function<void(const QString &id)> m_removalObserver;
};

} // namespace deso::host
