#pragma once
// Durable records of tus uploads and the videos they become. UploadStore is the
// interface; HostStorage (hoststorage.h) provides one per backend:
// LocalUploadStore below (the data dir) or S3UploadStore (s3storage.h: records
// in the bucket, re-read on every request so any instance answers).
//
// LocalUploadStore: each upload lives in <dir>/<id>/ as `data` (the bytes) and
// `info.json` (length, offset, metadata, token, expiry, probe results). The
// recorded offset never runs ahead of the bytes on disk: data is fdatasync'ed
// before info.json is replaced (QSaveFile, which syncs and renames), so after a
// crash the offset is safe to resume from.

#include "common/result.h"
#include "host/http/httphandler.h"
#include "tus/tusprotocol.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QMap>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

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
    // What only the storage backend reads (S3: the multipart upload, its parts
    // and ETags, the tail object). Saved and loaded with the record by backends that use it.
    QJsonObject backendState;
    bool complete() const { return offset == length; }
};

// What a store that takes PATCH bytes itself (object storage) needs from the tus
// server: the checked request, and how to answer.
struct PatchIntake {
    std::shared_ptr<UploadRecord> record;
    qint64 bodyLength = 0;
    // Set when the request carried an Upload-Checksum: the digest the bytes must have.
    std::optional<tus::ChecksumAlgorithm> checksumAlgorithm;
    QByteArray expectedDigest;
    qint64 expirySeconds = 0; // an incomplete upload expires this long after its last write
    // Builds the tus answer once the bytes are stored (or not): success carries
    // the record's new offset; an error its status and sentence.
    std::function<HttpResponse(const Status &outcome, const std::shared_ptr<UploadRecord> &record)> answer;
};

class UploadStore {
public:
    virtual ~UploadStore() = default;

    virtual Result<std::shared_ptr<UploadRecord>> create(qint64 length, const QByteArray &metadataHeader,
                                                         const QMap<QString, QByteArray> &metadata,
                                                         const QDateTime &expiresAt) = 0;
    // Null when no upload has this token; an error when the store could not tell
    // (the bucket failed): a tus client must retry then, not start over.
    virtual Result<std::shared_ptr<UploadRecord>> byToken(const QByteArray &token) const = 0;
    virtual std::shared_ptr<UploadRecord> byId(const QString &id) const = 0;
    virtual std::shared_ptr<UploadRecord> byPlaybackId(const QString &playbackId) const = 0;
    // As byId / byPlaybackId, but an error (503) when the store could not tell
    // (the bucket is unreachable): a client must retry then, not take it as gone.
    virtual Result<std::shared_ptr<UploadRecord>> find(const QString &id) const { return byId(id); }
    virtual Result<std::shared_ptr<UploadRecord>> findByPlaybackId(const QString &playbackId) const
    {
        return byPlaybackId(playbackId);
    }
    // Every record this store indexes (the local store: all; object storage: none,
    // it keeps no index in memory, see README "S3 storage").
    virtual QList<std::shared_ptr<UploadRecord>> all() const = 0;

    // Told the id of every upload about to be removed (deleted or expired), so
    // its processing can stop first.
    void setRemovalObserver(std::function<void(const QString &id)> observer) { m_removalObserver = std::move(observer); }
    // Atomically replaces the record (durable when it returns).
    virtual Status save(const UploadRecord &record) = 0;
    virtual Status remove(const QString &id) = 0;
    // Deletes incomplete uploads whose expiry has passed; returns their ids.
    virtual QStringList purgeExpired(const QDateTime &now) = 0;

    // The local file holding upload `id`'s bytes, when the store keeps them in
    // one (the data dir); empty for object storage.
    virtual QString dataPath(const QString &id) const = 0;
    // A local directory for bodies before adoptFile (in the data dir for the
    // local store, so adoption is a rename on one file system).
    virtual QString stagingDir() const = 0;
    // Makes the finished file `stagedPath` the bytes of upload `id` (a rename in
    // the data dir; an upload to the bucket). `stagedPath` is gone afterwards.
    virtual Status adoptFile(const QString &id, const QString &stagedPath) = 0;
    // Object storage takes a PATCH's bytes itself (parts, leases): its handler,
    // or why it refuses now (another instance holds the upload: 423). Null for
    // the local store, whose bytes the tus server writes to dataPath().
    virtual Result<std::unique_ptr<RequestHandler>> takePatch(PatchIntake intake)
    {
        Q_UNUSED(intake);
        return std::unique_ptr<RequestHandler>();
    }

protected:
    std::function<void(const QString &id)> m_removalObserver;
};

class LocalUploadStore final : public UploadStore {
public:
    // Loads every upload found under `dir` (created when missing).
    Status open(const QString &dir);
    QString directory() const { return m_dir; }

    Result<std::shared_ptr<UploadRecord>> create(qint64 length, const QByteArray &metadataHeader,
                                                 const QMap<QString, QByteArray> &metadata,
                                                 const QDateTime &expiresAt) override;
    Result<std::shared_ptr<UploadRecord>> byToken(const QByteArray &token) const override;
    std::shared_ptr<UploadRecord> byId(const QString &id) const override;
    QList<std::shared_ptr<UploadRecord>> all() const override;

    QString dataPath(const QString &id) const override;
    QString stagingDir() const override;
    Status adoptFile(const QString &id, const QString &stagedPath) override;
    // The processed outputs (HLS ladder, poster, download MP4) of upload `id`,
    // inside its folder so that removing the upload removes them too.
    QString mediaDir(const QString &id) const;
    std::shared_ptr<UploadRecord> byPlaybackId(const QString &playbackId) const override;
    // Atomically replaces info.json (synced to disk).
    Status save(const UploadRecord &record) override;
    Status remove(const QString &id) override;
    QStringList purgeExpired(const QDateTime &now) override;

private:
    Result<std::shared_ptr<UploadRecord>> load(const QString &id);

    QString m_dir;
    QHash<QString, std::shared_ptr<UploadRecord>> m_byId;
    QHash<QByteArray, QString> m_idByToken;
};

// The record's JSON (info.json) and back: one format for every backend.
QJsonObject uploadRecordJson(const UploadRecord &record);
// Null when the JSON is not a sound record of upload `id`.
std::shared_ptr<UploadRecord> uploadRecordFromJson(const QString &id, const QJsonObject &json);
// 32 random lowercase hex digits per 16 bytes (ids and tokens).
QString randomHex(int bytes);

} // namespace deso::host
