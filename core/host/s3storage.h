#pragma once
// The host's storage in an S3-compatible bucket (issue 16), shared by every
// instance serving it: the keys of hoststorage.h under s3://BUCKET/PREFIX, plus
//   tokens/<token>             -> upload id (the tus URL's lookup)
//   playback/<playbackId>      -> upload id
//   uploads/<id>/tail-<offset> the bytes past the last multipart part (< one part)
//   uploads/<id>/lease         which instance takes PATCH bytes now, until when
// Upload records are read from the bucket on every request (no index in
// memory), so any instance answers the next HEAD, PATCH or status poll. A PATCH
// spools at most one part in a local temporary file, never in RAM; each full
// part goes to the upload's multipart upload, and what is left at the end of a
// PATCH waits in the bucket as the tail object. README "S3 storage" says which
// guarantees hold.

#include "host/hoststorage.h"
#include "s3/s3client.h"

#include <QObject>
#include <QThread>
#include <QThreadPool>
#include <QThreadStorage>

#include <functional>

namespace deso::host {

inline constexpr qint64 kDefaultS3PartBytes = 8LL * 1024 * 1024; // Livepeer's tus-to-S3 part size
// A PATCH holds its upload's lease this long past its last renewal, renewed
// every kUploadLeaseRenewMs while bytes stream: short, because an instance that
// dies mid-PATCH keeps the upload from the others until its lease runs out.
inline constexpr int kUploadLeaseSeconds = 6;
inline constexpr int kUploadLeaseRenewMs = 2000;
// A processing job's lease (uploads/<id>/processing): renewed every
// kProcessingLeaseRenewMs while the job is queued or runs; another instance takes
// the job over once it has run out (the instance running it died).
inline constexpr int kProcessingLeaseSeconds = 10;
inline constexpr int kProcessingLeaseRenewMs = 3000;

// The threads where the host's bucket calls block, each with its own
// BlockingS3Client (the blocking client spins an event loop, which the server
// thread must not; and one slow call must not hold the others up). The server
// thread gives them work with run() and is answered later (runStorageWork).
class S3Gateway {
public:
    static constexpr int kThreads = 8;
    using Operation = std::function<Result<s3::S3Answer>(s3::BlockingS3Client &)>;

    explicit S3Gateway(const s3::S3Config &config);
    ~S3Gateway();
    // Runs `task` on one of the gateway's threads.
    void run(std::function<void()> task);
    // Waits for every task run() was given (and those they gave).
    void waitForDone();
    // A blocking call: on a gateway thread, at once with its client; from another
    // thread it runs on a gateway thread and is waited for (no event loop spins
    // there). On the server thread that is a fault (logged): it stalls every connection.
    Result<s3::S3Answer> call(const Operation &operation);
    // For clean-ups whose failure leaves only garbage: logged as a warning with `what`.
    void callBestEffort(const Operation &operation, const QString &what);
    void setServerThread(QThread *thread) { m_serverThread = thread; }

private:
    s3::S3Config m_config;
    QThreadStorage<s3::BlockingS3Client *> m_clients;
    QThreadPool m_pool; // after m_clients: its threads end (deleting their clients) before it goes
    QThread *m_serverThread = nullptr;
};

class S3Storage;

class S3UploadStore final : public UploadStore {
public:
    explicit S3UploadStore(S3Storage &storage);

    Result<std::shared_ptr<UploadRecord>> create(qint64 length, const QByteArray &metadataHeader,
                                                 const QMap<QString, QByteArray> &metadata,
                                                 const QDateTime &expiresAt) override;
    Result<std::shared_ptr<UploadRecord>> byToken(const QByteArray &token) const override;
    std::shared_ptr<UploadRecord> byId(const QString &id) const override;
    std::shared_ptr<UploadRecord> byPlaybackId(const QString &playbackId) const override;
    Result<std::shared_ptr<UploadRecord>> find(const QString &id) const override;
    Result<std::shared_ptr<UploadRecord>> findByPlaybackId(const QString &playbackId) const override;
    QList<std::shared_ptr<UploadRecord>> all() const override { return {}; }
    Status save(const UploadRecord &record) override;
    Status remove(const QString &id) override;
    // Expired uploads go when a request touches them (TusServer answers 410) and
    // in this sweep (off the server thread): records past their expiry without a
    // live lease, and objects of an upload without a record after an hour; their
    // multipart upload is aborted where the server can (s3rver cannot: a warning).
    QStringList purgeExpired(const QDateTime &now) override;
    QString dataPath(const QString &) const override { return {}; }
    QString stagingDir() const override;
    Status adoptFile(const QString &id, const QString &stagedPath) override;
    Result<std::unique_ptr<RequestHandler>> takePatch(PatchIntake intake) override;

    // Fresh from the bucket: null when absent; an error when the bucket failed.
    Result<std::shared_ptr<UploadRecord>> read(const QString &id) const;

private:
    friend class S3Patch;
    S3Storage &m_storage;
};

class S3Storage final : public HostStorage {
public:
    // `scratchDir`: local temporary files (spooled parts, sources being processed).
    S3Storage(s3::S3Config config, QString scratchDir, qint64 partBytes = kDefaultS3PartBytes);
    ~S3Storage() override;

    Status open() override;
    QString description() const override;
    UploadStore &uploads() override { return m_uploads; }
    QString localDataDir() const override { return {}; }

    Result<bool> exists(const QString &key) override;
    Status put(const QString &key, const QByteArray &bytes, const QByteArray &contentType) override;
    Admission serve(const HttpRequest &request, const QString &key, const QByteArray &contentType,
                    const HeaderList &headers, const QString &notFoundMessage) override;

    Result<QString> processingSource(const QString &id, const QString &scratchDir) override;
    bool outputsPublished(const QString &id) override;
    QString outputsStaging(const QString &id, const QString &scratchDir) override;
    Status publishOutputs(const QString &id, const QString &stagingDir) override;
    QString scratchDir() const override { return m_scratchDir; }

    Result<bool> claimProcessing(const QString &id, const QString &owner) override;
    Status renewProcessing(const QString &id, const QString &owner) override;
    void releaseProcessing(const QString &id, const QString &owner) override;
    bool processingAbandoned(const QString &id) override;

    bool callsBlock() const override { return true; }
    void runBlocking(std::function<void()> task) override;
    void drainBlockingWork() override;

    const s3::S3Config &config() const { return m_config; }
    qint64 partBytes() const { return m_partBytes; }
    // Bucket calls of records, leases and parts (see S3Gateway).
    S3Gateway &gateway() { return *m_gateway; }
    // This instance's name in leases.
    const QString &instanceId() const { return m_instanceId; }
    // On the server thread: where results of bucket work are delivered.
    QObject *context() const { return m_context; }
    // Whether the server honours If-None-Match: * (probed at open()).
    bool conditionalWrites() const { return m_conditionalWrites; }

private:
    s3::S3Config m_config;
    QString m_scratchDir;
    qint64 m_partBytes;
    QString m_instanceId;
    bool m_conditionalWrites = false;
    std::unique_ptr<S3Gateway> m_gateway;
    // GETs of objects being served: each waits on its client's reading, so they
    // have threads of their own, apart from records and parts.
    QThreadPool m_servePool;
    quint64 m_blockingTasks = 0; // runBlocking calls (server thread), for drainBlockingWork
    QObject *m_context = nullptr; // on the server thread: answers of pool work come back here
    S3UploadStore m_uploads;
};

// `config.storage` is s3://BUCKET[/PREFIX]; endpoint, region and the public base
// URL from the config, credentials from the environment or ~/.aws (never logged).
Result<std::unique_ptr<HostStorage>> makeS3Storage(const HostConfig &config);

} // namespace deso::host
