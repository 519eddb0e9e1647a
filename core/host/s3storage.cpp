#include "host/s3storage.h"

#include "host/endpointhost.h"
#include "tus/incrementaldigest.h"
#include "video/hlstranscoder.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDebug>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMetaObject>
#include <QMutex>
#include <QWaitCondition>
#include <QPointer>
#include <QRegularExpression>
#include <QTemporaryFile>
#include <QtConcurrent>

namespace deso::host {

namespace {

QString recordKey(const QString &id)
{
    return QStringLiteral("uploads/") + id + QStringLiteral("/info.json");
}

QString tokenKey(const QByteArray &token)
{
    return QStringLiteral("tokens/") + QString::fromLatin1(token);
}

QString playbackKey(const QString &playbackId)
{
    return QStringLiteral("playback/") + playbackId;
}

QString leaseKey(const QString &id)
{
    return QStringLiteral("uploads/") + id + QStringLiteral("/lease");
}

QString tailKey(const QString &id, qint64 partsEnd)
{
    return QStringLiteral("uploads/") + id + QStringLiteral("/tail-") + QString::number(partsEnd);
}

bool isMissing(const Error &e)
{
    return e.code == QLatin1String(s3::kNoSuchKeyCode);
}

// An S3 failure as the host answers it: the bucket is the host's storage, so
// the client may retry (503), and the sentence says what failed.
Error storageError(const Error &e)
{
    return Error(QStringLiteral("host.object_storage"),
                 QStringLiteral("The host's object storage failed: %1").arg(e.message), 503);
}

QByteArray contentTypeOf(const QString &fileName)
{
    if (fileName.endsWith(QLatin1String(".m3u8")))
        return "application/vnd.apple.mpegurl";
    if (fileName.endsWith(QLatin1String(".ts")))
        return "video/mp2t";
    if (fileName.endsWith(QLatin1String(".mp4")) || fileName.endsWith(QLatin1String(".m4s")))
        return "video/mp4";
    if (fileName.endsWith(QLatin1String(".jpg")))
        return "image/jpeg";
    return "application/octet-stream";
}

// The multipart state of an upload in the bucket (UploadRecord::backendState).
struct MultipartState {
    QString uploadId;
    qint64 partBytes = 0;
    QList<QByteArray> etags; // part i + 1
    qint64 tailBytes = 0;

    static MultipartState from(const QJsonObject &o)
    {
        MultipartState s;
        s.uploadId = o.value(QStringLiteral("multipartId")).toString();
        s.partBytes = o.value(QStringLiteral("partBytes")).toInteger();
        for (const auto &e : o.value(QStringLiteral("parts")).toArray())
            s.etags << e.toString().toLatin1();
        s.tailBytes = o.value(QStringLiteral("tailBytes")).toInteger();
        return s;
    }
    QJsonObject json() const
    {
        QJsonArray parts;
        for (const auto &e : etags)
            parts.append(QString::fromLatin1(e));
        return {{QStringLiteral("multipartId"), uploadId},
                {QStringLiteral("partBytes"), partBytes},
                {QStringLiteral("parts"), parts},
                {QStringLiteral("tailBytes"), tailBytes}};
    }
    qint64 partsEnd() const { return partBytes * etags.size(); }
};

} // namespace

// ---------------------------------------------------------------------------
// S3Gateway

namespace {
thread_local const S3Gateway *t_gatewayOfThread = nullptr; // set while a gateway thread runs a task
}

S3Gateway::S3Gateway(const s3::S3Config &config) : m_config(config)
{
    m_pool.setObjectName(QStringLiteral("S3Gateway"));
    m_pool.setMaxThreadCount(kThreads);
}

S3Gateway::~S3Gateway()
{
    m_pool.waitForDone();
}

void S3Gateway::run(std::function<void()> task)
{
    m_pool.start([this, task = std::move(task)] {
        t_gatewayOfThread = this;
        task();
        t_gatewayOfThread = nullptr;
    });
}

void S3Gateway::waitForDone()
{
    m_pool.waitForDone();
}

Result<s3::S3Answer> S3Gateway::call(const Operation &operation)
{
    if (t_gatewayOfThread == this) {
        if (!m_clients.hasLocalData())
            m_clients.setLocalData(new s3::BlockingS3Client(m_config));
        return operation(*m_clients.localData());
    }
    if (QThread::currentThread() == m_serverThread)
        qWarning().noquote() << QStringLiteral("A bucket call blocked the server thread (a fault: it should go through runStorageWork).");
    // Waited for without an event loop: nothing else runs on this thread meanwhile.
    std::optional<Result<s3::S3Answer>> result;
    QMutex mutex;
    QWaitCondition done;
    QMutexLocker lock(&mutex);
    run([&] {
        auto r = call(operation);
        QMutexLocker inner(&mutex);
        result.emplace(std::move(r));
        done.wakeAll();
    });
    while (!result)
        done.wait(&mutex);
    return std::move(*result);
}

void S3Gateway::callBestEffort(const Operation &operation, const QString &what)
{
    if (auto r = call(operation); !r.ok())
        qWarning().noquote() << QStringLiteral("Object storage, %1: %2").arg(what, r.error().message);
}

// ---------------------------------------------------------------------------
// S3UploadStore

S3UploadStore::S3UploadStore(S3Storage &storage) : m_storage(storage)
{
}

Result<std::shared_ptr<UploadRecord>> S3UploadStore::read(const QString &id) const
{
    auto got = m_storage.gateway().call([&](s3::BlockingS3Client &c) { return c.getObject(recordKey(id)); });
    if (!got.ok())
        return isMissing(got.error()) ? Result<std::shared_ptr<UploadRecord>>(std::shared_ptr<UploadRecord>())
                                      : Result<std::shared_ptr<UploadRecord>>(storageError(got.error()));
    auto record = uploadRecordFromJson(id, QJsonDocument::fromJson(got->body).object());
    if (!record)
        return Error(QStringLiteral("host.upload_corrupt"), QStringLiteral("The record of upload %1 is damaged.").arg(id), 500);
    return record;
}

Result<std::shared_ptr<UploadRecord>> S3UploadStore::find(const QString &id) const
{
    static const QRegularExpression idRe(QStringLiteral("^[0-9a-f]{32}$"));
    if (!idRe.match(id).hasMatch())
        return std::shared_ptr<UploadRecord>();
    return read(id);
}

std::shared_ptr<UploadRecord> S3UploadStore::byId(const QString &id) const
{
    auto r = find(id);
    if (!r.ok()) {
        qWarning().noquote() << QStringLiteral("Upload %1: %2").arg(id, r.error().message);
        return nullptr;
    }
    return r.value();
}

Result<std::shared_ptr<UploadRecord>> S3UploadStore::byToken(const QByteArray &token) const
{
    static const QRegularExpression tokenRe(QStringLiteral("^[0-9a-f]{64}$"));
    if (!tokenRe.match(QString::fromLatin1(token)).hasMatch())
        return std::shared_ptr<UploadRecord>();
    auto got = m_storage.gateway().call([&](s3::BlockingS3Client &c) { return c.getObject(tokenKey(token)); });
    if (!got.ok()) {
        if (isMissing(got.error()))
            return std::shared_ptr<UploadRecord>();
        return storageError(got.error());
    }
    auto r = read(QString::fromLatin1(got->body.trimmed()));
    if (!r.ok())
        return r.error();
    return r.value() && r.value()->token == token ? r.value() : std::shared_ptr<UploadRecord>();
}

Result<std::shared_ptr<UploadRecord>> S3UploadStore::findByPlaybackId(const QString &playbackId) const
{
    static const QRegularExpression idRe(QStringLiteral("^[0-9a-f]{32}$"));
    if (!idRe.match(playbackId).hasMatch())
        return std::shared_ptr<UploadRecord>();
    auto got = m_storage.gateway().call([&](s3::BlockingS3Client &c) { return c.getObject(playbackKey(playbackId)); });
    if (!got.ok()) {
        if (isMissing(got.error()))
            return std::shared_ptr<UploadRecord>();
        return storageError(got.error());
    }
    auto r = find(QString::fromLatin1(got->body.trimmed()));
    if (!r.ok())
        return r.error();
    return r.value() && r.value()->playbackId == playbackId ? r.value() : std::shared_ptr<UploadRecord>();
}

std::shared_ptr<UploadRecord> S3UploadStore::byPlaybackId(const QString &playbackId) const
{
    auto r = findByPlaybackId(playbackId);
    if (!r.ok()) {
        qWarning().noquote() << QStringLiteral("Playback id %1: %2").arg(playbackId, r.error().message);
        return nullptr;
    }
    return r.value();
}

Result<std::shared_ptr<UploadRecord>> S3UploadStore::create(qint64 length, const QByteArray &metadataHeader,
                                                            const QMap<QString, QByteArray> &metadata,
                                                            const QDateTime &expiresAt)
{
    auto r = std::make_shared<UploadRecord>();
    r->id = randomHex(16); // 128 random bits: no instance picks another's id
    r->token = randomHex(32).toLatin1();
    r->length = length;
    r->metadataHeader = metadataHeader;
    r->metadata = metadata;
    r->createdAt = QDateTime::currentDateTimeUtc();
    r->expiresAt = expiresAt;
    S3Gateway &gateway = m_storage.gateway();
    if (length == 0) {
        if (auto put = gateway.call([&](s3::BlockingS3Client &c) { return c.putObject(uploadDataKey(r->id), {}); }); !put.ok())
            return storageError(put.error());
    } else {
        auto created = gateway.call([&](s3::BlockingS3Client &c) { return c.createMultipartUpload(uploadDataKey(r->id)); });
        if (!created.ok())
            return storageError(created.error());
        MultipartState state;
        state.uploadId = created->uploadId;
        state.partBytes = m_storage.partBytes();
        r->backendState = state.json();
    }
    if (auto s = save(*r); !s.ok())
        return s.error();
    // The record is written before its token leads to it.
    if (auto put = gateway.call([&](s3::BlockingS3Client &c) { return c.putObject(tokenKey(r->token), r->id.toLatin1()); }); !put.ok())
        return storageError(put.error());
    return r;
}

Status S3UploadStore::save(const UploadRecord &record)
{
    S3Gateway &gateway = m_storage.gateway();
    if (!record.playbackId.isEmpty()) {
        // Before the record names it, so a reader finding the playbackId finds the index too.
        auto indexed = gateway.call([&](s3::BlockingS3Client &c) {
            return c.putObject(playbackKey(record.playbackId), record.id.toLatin1());
        });
        if (!indexed.ok())
            return storageError(indexed.error());
    }
    s3::PutOptions options;
    options.contentType = "application/json";
    const QByteArray json = QJsonDocument(uploadRecordJson(record)).toJson(QJsonDocument::Compact);
    auto put = gateway.call([&](s3::BlockingS3Client &c) { return c.putObject(recordKey(record.id), json, options); });
    if (!put.ok())
        return storageError(put.error());
    return {};
}

Status S3UploadStore::remove(const QString &id)
{
    if (m_removalObserver)
        m_removalObserver(id);
    S3Gateway &gateway = m_storage.gateway();
    auto record = read(id);
    if (record.ok() && record.value()) {
        const auto &r = *record.value();
        gateway.callBestEffort([&](s3::BlockingS3Client &c) { return c.deleteObject(tokenKey(r.token)); },
                               QStringLiteral("removing the token of upload %1").arg(id));
        if (!r.playbackId.isEmpty())
            gateway.callBestEffort([&](s3::BlockingS3Client &c) { return c.deleteObject(playbackKey(r.playbackId)); },
                                   QStringLiteral("removing the playback id of upload %1").arg(id));
        const auto state = MultipartState::from(r.backendState);
        if (!state.uploadId.isEmpty() && !r.complete()) {
            // Servers without abort (s3rver) keep the parts until their own cleanup: a warning, not a failure.
            gateway.callBestEffort([&](s3::BlockingS3Client &c) { return c.abortMultipartUpload(uploadDataKey(id), state.uploadId); },
                                   QStringLiteral("aborting the multipart upload of %1").arg(id));
        }
    }
    // Every object under uploads/<id>/, the record last: until then the upload still answers.
    s3::ListOptions list;
    list.prefix = QStringLiteral("uploads/") + id + QLatin1Char('/');
    QStringList keys;
    for (;;) {
        auto page = gateway.call([&](s3::BlockingS3Client &c) { return c.listObjects(list); });
        if (!page.ok())
            return storageError(page.error());
        for (const auto &o : page->list.objects)
            keys << o.key;
        if (!page->list.truncated)
            break;
        list.continuationToken = page->list.nextContinuationToken;
    }
    keys.removeAll(recordKey(id));
    keys << recordKey(id);
    for (const QString &key : keys) {
        if (auto d = gateway.call([&](s3::BlockingS3Client &c) { return c.deleteObject(key); }); !d.ok())
            return storageError(d.error());
    }
    return {};
}

QStringList S3UploadStore::purgeExpired(const QDateTime &now)
{
    Q_UNUSED(now);
    return {};
}

QString S3UploadStore::stagingDir() const
{
    return QDir(m_storage.scratchDir()).filePath(QStringLiteral(".incoming"));
}

Status S3UploadStore::adoptFile(const QString &id, const QString &stagedPath)
{
    auto put = m_storage.gateway().call([&](s3::BlockingS3Client &c) { return c.putObjectFromFile(uploadDataKey(id), stagedPath); });
    QFile::remove(stagedPath);
    if (!put.ok())
        return storageError(put.error());
    return {};
}

// ---------------------------------------------------------------------------
// One PATCH into an upload kept in the bucket. Bytes go to a spool file of at
// most one part; a full part goes to the multipart upload at once (and, without
// a checksum, is recorded: a checkpoint any instance resumes from). What is left
// when the body ends is stored as the tail object. The lease taken before the
// first byte keeps other instances out; it is checked again before every record.
class S3PatchSink final : public RequestHandler {
public:
    S3PatchSink(S3UploadStore &store, PatchIntake intake, MultipartState state, QString leaseOwner)
        : m_store(store), m_intake(std::move(intake)), m_state(std::move(state)), m_leaseOwner(std::move(leaseOwner)),
          m_recordedPartsEnd(m_state.partsEnd())
    {
    }
    ~S3PatchSink() override
    {
        if (!m_finished)
            abandon();
    }

    Status open()
    {
        m_spool.setFileTemplate(QDir(m_store.m_storage.scratchDir()).filePath(QStringLiteral("part-XXXXXX")));
        if (!m_spool.open())
            return Error(QStringLiteral("host.storage"), QStringLiteral("The host could not create a spool file for the upload."), 500);
        if (m_intake.checksumAlgorithm) {
            auto digest = tus::IncrementalDigest::create(*m_intake.checksumAlgorithm);
            if (!digest.ok())
                return Error(digest.error().code, digest.error().message, 500);
            m_hash.emplace(std::move(digest).value());
        }
        // The tail waiting in the bucket starts the spool: the next part begins with it.
        if (m_state.tailBytes > 0) {
            s3::GetOptions range;
            range.range = s3::ByteRange{0, m_state.tailBytes - 1};
            const QString key = tailKey(m_intake.record->id, m_state.partsEnd());
            m_spool.close();
            auto got = gateway().call([&](s3::BlockingS3Client &c) { return c.getObjectToFile(key, m_spool.fileName(), range); });
            if (!got.ok())
                return storageError(got.error());
            if (!m_spool.open() || m_spool.size() != m_state.tailBytes || !m_spool.seek(m_state.tailBytes))
                return Error(QStringLiteral("host.storage"), QStringLiteral("The upload's stored tail is shorter than recorded."), 500);
        }
        return {};
    }

    Status body(const char *data, qint64 size) override
    {
        if (m_hash) {
            if (Status hashed = m_hash->addData(QByteArrayView(data, size)); !hashed.ok())
                return fail(Error(hashed.error().code, hashed.error().message, 500));
        }
        while (size > 0) {
            const qint64 n = qMin(size, m_state.partBytes - m_spool.pos());
            if (m_spool.write(data, n) != n)
                return fail(Error(QStringLiteral("tus.write"), QStringLiteral("The host could not spool the upload to disk."), 500));
            data += n;
            size -= n;
            if (m_renewLease.hasExpired()) {
                if (auto s = renewLease(); !s.ok())
                    return fail(s.error());
            }
            if (m_spool.pos() == m_state.partBytes && offsetNow() < m_intake.record->length) {
                if (auto s = sendPart(); !s.ok())
                    return fail(s.error());
                // Without a checksum partial bodies count: a checkpoint per part.
                if (!m_hash) {
                    if (auto s = record(); !s.ok())
                        return fail(s.error());
                }
            }
        }
        return {};
    }

    void end(Responder responder) override
    {
        m_finished = true;
        if (m_hash) {
            const Result<QByteArray> digest = m_hash->result();
            if (!digest.ok() || digest.value() != m_intake.expectedDigest) {
                release();
                responder.send(m_intake.answer(
                    Error(QStringLiteral("tus.checksum"),
                          QStringLiteral("The Upload-Checksum does not match the received bytes; nothing was written."), 460),
                    m_intake.record));
                return;
            }
        }
        const Status stored = finishBytes();
        release();
        responder.send(m_intake.answer(stored, m_intake.record));
    }

    void abandon() override
    {
        if (m_finished)
            return;
        m_finished = true;
        // Without a checksum the bytes received count (as in the data dir): keep them.
        if (!m_failed && !m_hash) {
            if (auto s = finishBytes(); !s.ok())
                qWarning().noquote() << QStringLiteral("Upload %1: %2").arg(m_intake.record->id, s.error().message);
        }
        release();
    }

private:
    S3Gateway &gateway() { return m_store.m_storage.gateway(); }
    qint64 offsetNow() const { return m_state.partsEnd() + m_spool.pos(); }

    Status fail(Error e)
    {
        m_failed = true;
        release();
        return e;
    }

    Status sendPart()
    {
        const QString key = uploadDataKey(m_intake.record->id);
        const int number = int(m_state.etags.size()) + 1;
        const qint64 bytes = m_spool.pos();
        if (!m_spool.flush())
            return Error(QStringLiteral("tus.write"), QStringLiteral("The host could not spool the upload to disk."), 500);
        auto part = gateway().call([&](s3::BlockingS3Client &c) {
            return c.uploadPartFromFile(key, m_state.uploadId, number, m_spool.fileName(), 0, bytes);
        });
        if (!part.ok())
            return storageError(part.error());
        m_state.etags << part->object.etag;
        m_state.tailBytes = 0;
        m_spool.seek(0);
        m_spool.resize(0);
        return {};
    }

    // The lease still ours: else another instance took the upload over (ours expired).
    Status leaseHeld()
    {
        auto got = gateway().call([&](s3::BlockingS3Client &c) { return c.getObject(leaseKey(m_intake.record->id)); });
        const QJsonObject lease = got.ok() ? QJsonDocument::fromJson(got->body).object() : QJsonObject();
        if (lease.value(QStringLiteral("owner")).toString() != m_leaseOwner) {
            m_released = true; // not ours to delete any more
            return Error(QStringLiteral("tus.lease_lost"),
                         QStringLiteral("Another request took this upload over while this one was stalled; resume from its offset."), 409);
        }
        return {};
    }

    // Records offset = parts + tail in the bucket (and renews the lease).
    Status record()
    {
        if (auto s = leaseHeld(); !s.ok())
            return s;
        UploadRecord &r = *m_intake.record;
        r.offset = m_state.partsEnd() + m_state.tailBytes;
        r.expiresAt = QDateTime::currentDateTimeUtc().addSecs(m_intake.expirySeconds);
        r.backendState = m_state.json();
        if (auto s = m_store.save(r); !s.ok())
            return s;
        return extendLease();
    }

    Status renewLease()
    {
        if (auto s = leaseHeld(); !s.ok())
            return s;
        return extendLease();
    }

    // Only right after leaseHeld() said the lease is ours.
    Status extendLease()
    {
        m_renewLease.setRemainingTime(kUploadLeaseRenewMs);
        return takeLease(m_store, m_intake.record->id, m_leaseOwner);
    }

    // Stores what the spool holds: the last part and the whole object when the
    // upload is complete, else the tail object.
    Status finishBytes()
    {
        UploadRecord &r = *m_intake.record;
        const qint64 oldPartsEnd = m_recordedPartsEnd;
        const qint64 spooled = m_spool.pos();
        const QString key = uploadDataKey(r.id);
        if (offsetNow() == r.length) {
            if (spooled > 0 || m_state.etags.isEmpty()) {
                if (auto s = sendPart(); !s.ok())
                    return s;
            }
            if (auto s = leaseHeld(); !s.ok())
                return s;
            QList<s3::CompletedPart> parts;
            for (int i = 0; i < m_state.etags.size(); ++i)
                parts << s3::CompletedPart{i + 1, m_state.etags[i]};
            auto done = gateway().call([&](s3::BlockingS3Client &c) { return c.completeMultipartUpload(key, m_state.uploadId, parts); });
            if (!done.ok())
                return storageError(done.error());
            r.offset = r.length;
            r.backendState = QJsonObject{};
            if (auto s = m_store.save(r); !s.ok())
                return s;
            deleteTail(oldPartsEnd);
            return {};
        }
        if (spooled > 0) {
            if (!m_spool.flush())
                return Error(QStringLiteral("tus.write"), QStringLiteral("The host could not spool the upload to disk."), 500);
            const QString tail = tailKey(r.id, m_state.partsEnd());
            auto put = gateway().call([&](s3::BlockingS3Client &c) { return c.putObjectFromFile(tail, m_spool.fileName(), 0, spooled); });
            if (!put.ok())
                return storageError(put.error());
        }
        m_state.tailBytes = spooled;
        if (auto s = record(); !s.ok())
            return s;
        if (oldPartsEnd != m_state.partsEnd())
            deleteTail(oldPartsEnd);
        return {};
    }

    void deleteTail(qint64 partsEnd)
    {
        const QString key = tailKey(m_intake.record->id, partsEnd);
        // A leftover costs bytes, not correctness: the record names the tail in use.
        gateway().callBestEffort([&](s3::BlockingS3Client &c) { return c.deleteObject(key); }, QStringLiteral("removing %1").arg(key));
    }

    void release()
    {
        if (m_released)
            return;
        m_released = true;
        const QString key = leaseKey(m_intake.record->id);
        // Left behind, the lease expires by itself within kUploadLeaseSeconds.
        gateway().callBestEffort([&](s3::BlockingS3Client &c) { return c.deleteObject(key); }, QStringLiteral("releasing %1").arg(key));
    }

public:
    // Gives the upload up before the first byte (open() failed): nothing to keep.
    void refuse()
    {
        m_finished = true;
        release();
    }

    // Writes a lease on upload `id` for `owner` (kUploadLeaseSeconds from now).
    static Status takeLease(S3UploadStore &store, const QString &id, const QString &owner, bool createOnly = false)
    {
        const QJsonObject lease{{QStringLiteral("owner"), owner},
                                {QStringLiteral("expires"), QDateTime::currentDateTimeUtc().addSecs(kUploadLeaseSeconds).toString(Qt::ISODateWithMs)}};
        s3::PutOptions options;
        options.contentType = "application/json";
        options.ifNoneMatchAny = createOnly;
        auto put = store.m_storage.gateway().call([&](s3::BlockingS3Client &c) {
            return c.putObject(leaseKey(id), QJsonDocument(lease).toJson(QJsonDocument::Compact), options);
        });
        if (!put.ok())
            return put.error().code == QLatin1String(s3::kPreconditionFailedCode) ? Error(QStringLiteral("tus.busy"), QString(), 423)
                                                                                : storageError(put.error());
        return {};
    }

private:
    S3UploadStore &m_store;
    PatchIntake m_intake;
    MultipartState m_state;
    QString m_leaseOwner;
    qint64 m_recordedPartsEnd; // where the recorded tail object starts
    QTemporaryFile m_spool;
    QDeadlineTimer m_renewLease{kUploadLeaseRenewMs};
    std::optional<tus::IncrementalDigest> m_hash;
    bool m_finished = false;
    bool m_failed = false;
    bool m_released = false;
};

Result<std::unique_ptr<RequestHandler>> S3UploadStore::takePatch(PatchIntake intake)
{
    const QString id = intake.record->id;
    const Error busy(QStringLiteral("tus.busy"),
                     QStringLiteral("The upload is receiving data on another request; try again when it ends."), 423);
    // Another instance's unexpired lease refuses; an expired one is taken over.
    auto current = m_storage.gateway().call([&](s3::BlockingS3Client &c) { return c.getObject(leaseKey(id)); });
    const bool leaseExists = current.ok();
    if (!current.ok() && !isMissing(current.error()))
        return storageError(current.error());
    if (leaseExists) {
        const QJsonObject lease = QJsonDocument::fromJson(current->body).object();
        const QDateTime expires = QDateTime::fromString(lease.value(QStringLiteral("expires")).toString(), Qt::ISODateWithMs);
        if (expires.isValid() && expires > QDateTime::currentDateTimeUtc())
            return busy;
    }
    // Unique per request: two PATCHes on one instance exclude each other too.
    const QString owner = m_storage.instanceId() + QLatin1Char('/') + randomHex(8);
    if (auto s = S3PatchSink::takeLease(*this, id, owner, !leaseExists && m_storage.conditionalWrites()); !s.ok())
        return s.error().httpStatus == 423 ? busy : s.error();
    // Without conditional writes two instances may both have written: the lease
    // read back names the one that wrote last, and only that one goes on.
    auto check = m_storage.gateway().call([&](s3::BlockingS3Client &c) { return c.getObject(leaseKey(id)); });
    if (!check.ok() || QJsonDocument::fromJson(check->body).object().value(QStringLiteral("owner")).toString() != owner)
        return busy;
    // The record as it is now, under the lease: the offset checked from the head may be stale.
    auto fresh = read(id);
    auto releaseAnd = [&](Error e) {
        m_storage.gateway().callBestEffort([&](s3::BlockingS3Client &c) { return c.deleteObject(leaseKey(id)); },
                                           QStringLiteral("releasing the lease of %1").arg(id));
        return e;
    };
    if (!fresh.ok())
        return releaseAnd(fresh.error());
    if (!fresh.value())
        return releaseAnd(Error(QStringLiteral("tus.gone"), QStringLiteral("No upload at this URL."), 404));
    if (fresh.value()->offset != intake.record->offset)
        return releaseAnd(Error(QStringLiteral("tus.offset"),
                                QStringLiteral("Upload-Offset %1 does not match the upload's offset %2.")
                                    .arg(intake.record->offset).arg(fresh.value()->offset),
                                409));
    intake.record = fresh.value();
    const auto state = MultipartState::from(intake.record->backendState);
    if (state.uploadId.isEmpty() || state.partBytes < s3::kMinPartSize
        || state.partsEnd() + state.tailBytes != intake.record->offset)
        return releaseAnd(Error(QStringLiteral("host.upload_corrupt"), QStringLiteral("The record of upload %1 is damaged.").arg(id), 500));
    auto sink = std::make_unique<S3PatchSink>(*this, std::move(intake), state, owner);
    if (auto s = sink->open(); !s.ok()) {
        sink->refuse();
        return s.error();
    }
    return std::unique_ptr<RequestHandler>(std::move(sink));
}

// ---------------------------------------------------------------------------
// S3Storage

S3Storage::S3Storage(s3::S3Config config, QString scratchDir, qint64 partBytes)
    : m_config(std::move(config)), m_scratchDir(std::move(scratchDir)), m_partBytes(qMax(partBytes, s3::kMinPartSize)),
      m_instanceId(randomHex(8)), m_uploads(*this)
{
}

S3Storage::~S3Storage()
{
    delete m_context;
}

Status S3Storage::open()
{
    if (!QDir().mkpath(m_uploads.stagingDir()))
        return Error(QStringLiteral("host.data_dir"), QStringLiteral("Cannot create the scratch folder %1.").arg(m_scratchDir));
    m_gateway = std::make_unique<S3Gateway>(m_config);
    m_context = new QObject;
    // Reachable, bucket present, credentials accepted: one small list.
    s3::ListOptions probe;
    probe.maxKeys = 1;
    if (auto listed = m_gateway->call([&](s3::BlockingS3Client &c) { return c.listObjects(probe); }); !listed.ok())
        return Error(QStringLiteral("host.object_storage"),
                     QStringLiteral("Cannot use the bucket %1: %2").arg(description(), listed.error().message));
    // Leases are created with If-None-Match: * where the server honours it.
    const QString probeKey = QStringLiteral("probes/") + m_instanceId;
    auto probed = m_gateway->call([&](s3::BlockingS3Client &c) { return c.probeConditionalWrites(probeKey); });
    if (!probed.ok())
        return storageError(probed.error());
    m_conditionalWrites = probed->conditionalWritesHonoured;
    m_gateway->setServerThread(QThread::currentThread()); // from now on it serves
    return {};
}

void S3Storage::runBlocking(std::function<void()> task)
{
    ++m_blockingTasks;
    m_gateway->run(std::move(task));
}

void S3Storage::drainBlockingWork()
{
    if (!m_gateway)
        return;
    // Results come back as posted calls, which may start more work (a PATCH's next step).
    for (int round = 0; round < 1000; ++round) {
        const quint64 started = m_blockingTasks;
        m_gateway->waitForDone();
        QCoreApplication::sendPostedEvents(nullptr, QEvent::MetaCall);
        if (m_blockingTasks == started)
            break;
    }
}

QString S3Storage::description() const
{
    return QStringLiteral("s3://%1/%2 at %3 (%4)")
        .arg(m_config.bucket, m_config.keyPrefix, m_config.endpoint.toString(), m_config.region);
}

Result<bool> S3Storage::exists(const QString &key)
{
    s3::BlockingS3Client client(m_config);
    auto head = client.headObject(key);
    if (head.ok())
        return true;
    if (isMissing(head.error()))
        return false;
    return storageError(head.error());
}

Status S3Storage::put(const QString &key, const QByteArray &bytes, const QByteArray &contentType)
{
    s3::BlockingS3Client client(m_config);
    s3::PutOptions options;
    options.contentType = contentType;
    if (auto put = client.putObject(key, bytes, options); !put.ok())
        return storageError(put.error());
    return {};
}

namespace {

// GET/HEAD of an object: the asked range is fetched into a temporary file on a
// pool thread (never whole in RAM), then answered from it like a stored file.
class ObjectAnswer final : public RequestHandler {
public:
    ObjectAnswer(s3::S3Config config, QObject *context, HttpRequest request, QString key, QByteArray contentType,
                 HeaderList headers, QString notFound, QString scratchDir)
        : m_config(std::move(config)), m_context(context), m_request(std::move(request)), m_key(std::move(key)),
          m_type(std::move(contentType)), m_headers(std::move(headers)), m_notFound(std::move(notFound)),
          m_scratch(std::move(scratchDir))
    {
    }

    void end(Responder responder) override
    {
        struct Fetched {
            std::optional<HttpResponse> answer; // an answer without a file (404, 416, errors)
            std::shared_ptr<QTemporaryFile> file;
            qint64 size = 0;
        };
        QPointer<QObject> context = m_context;
        QtConcurrent::run([config = m_config, request = m_request, key = m_key, notFound = m_notFound,
                           scratch = m_scratch]() -> Fetched {
            Fetched f;
            s3::BlockingS3Client client(config);
            auto head = client.headObject(key);
            if (!head.ok()) {
                f.answer = isMissing(head.error()) ? HttpResponse::error(404, notFound)
                                                   : HttpResponse::error(503, storageError(head.error()).message);
                return f;
            }
            f.size = head->object.size;
            const ByteRange range = parseByteRange(request.header("range"), f.size);
            f.file = std::make_shared<QTemporaryFile>(QDir(scratch).filePath(QStringLiteral("serve-XXXXXX")));
            if (!f.file->open()) {
                f.answer = HttpResponse::error(500, QStringLiteral("The host could not create a temporary file."));
                return f;
            }
            f.file->close();
            if (range.kind == ByteRange::Kind::Unsatisfiable || request.method == "HEAD" || f.size == 0)
                return f; // HttpResponse::file answers 416, or the head alone
            s3::GetOptions options;
            options.range = s3::ByteRange{range.first, range.last};
            if (auto got = client.getObjectToFile(key, f.file->fileName(), options); !got.ok())
                f.answer = HttpResponse::error(503, storageError(got.error()).message);
            return f;
        }).then(m_context, [responder, type = m_type, headers = m_headers, rangeHeader = m_request.header("range")](Fetched f) {
            if (f.answer)
                return responder.send(std::move(*f.answer));
            HttpResponse r = HttpResponse::file(f.file->fileName(), f.size, type, rangeHeader);
            if (r.status == 200 || r.status == 206) {
                r.fileOffset = 0; // the temporary file holds just the range
                for (const auto &h : headers)
                    r.setHeader(h.first, h.second);
            }
            // The door opens the file inside send(); the temporary file goes after.
            responder.send(std::move(r));
        });
    }

private:
    s3::S3Config m_config;
    QObject *m_context;
    HttpRequest m_request;
    QString m_key;
    QByteArray m_type;
    HeaderList m_headers;
    QString m_notFound;
    QString m_scratch;
};

} // namespace

Admission S3Storage::serve(const HttpRequest &request, const QString &key, const QByteArray &contentType,
                           const HeaderList &headers, const QString &notFoundMessage)
{
    return Admission::stream(std::make_unique<ObjectAnswer>(m_config, m_context, request, key, contentType, headers,
                                                            notFoundMessage, m_scratchDir),
                             Admission::kSmallBodyBytes);
}

Result<QString> S3Storage::processingSource(const QString &id, const QString &scratchDir)
{
    const QString path = QDir(scratchDir).filePath(QStringLiteral("source"));
    s3::BlockingS3Client client(m_config);
    if (auto got = client.getObjectToFile(uploadDataKey(id), path); !got.ok())
        return Error(QStringLiteral("ERR_UNKNOWN"), storageError(got.error()).message, 503);
    return path;
}

bool S3Storage::outputsPublished(const QString &id)
{
    auto present = exists(uploadMediaKey(id, video::HlsTranscoder::masterPlaylistName()));
    return present.ok() && present.value();
}

QString S3Storage::outputsStaging(const QString &id, const QString &scratchDir)
{
    Q_UNUSED(id);
    return QDir(scratchDir).filePath(QStringLiteral("outputs"));
}

Status S3Storage::publishOutputs(const QString &id, const QString &stagingDir)
{
    // The master playlist goes last: once it is there, everything it names is.
    const QString master = video::HlsTranscoder::masterPlaylistName();
    QStringList files;
    QDirIterator it(stagingDir, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        files << QDir(stagingDir).relativeFilePath(it.next());
    files.removeAll(master);
    files.sort();
    files << master;
    s3::BlockingS3Client client(m_config);
    Status result;
    for (const QString &relative : files) {
        s3::PutOptions options;
        options.contentType = contentTypeOf(relative);
        if (auto put = client.putObjectFromFile(uploadMediaKey(id, relative), QDir(stagingDir).filePath(relative), 0, -1, options);
            !put.ok()) {
            result = Error(QStringLiteral("ERR_UNKNOWN"), storageError(put.error()).message, 503);
            break;
        }
    }
    QDir(stagingDir).removeRecursively();
    return result;
}

Result<std::unique_ptr<HostStorage>> makeS3Storage(const HostConfig &config)
{
    auto location = s3::parseS3Url(config.storage);
    if (!location.ok())
        return location.error();
    s3::CredentialFlags flags;
    flags.region = config.s3Region;
    auto resolved = s3::resolveCredentials(flags);
    if (!resolved.ok())
        return resolved.error();
    s3::S3Config s3config;
    s3config.endpoint = config.s3Endpoint;
    s3config.region = resolved->region;
    s3config.credentials = resolved->credentials;
    s3config = s3config.withLocation(location.value());
    if (auto s = s3config.validate(); !s.ok())
        return s.error();
    const QString scratch = config.dataDir.isEmpty()
        ? QDir(QDir::tempPath()).filePath(QStringLiteral("deso-media-s3-") + randomHex(4))
        : QDir(config.dataDir).filePath(QStringLiteral("s3-scratch"));
    return std::unique_ptr<HostStorage>(std::make_unique<S3Storage>(s3config, scratch, config.s3PartBytes));
}

} // namespace deso::host
