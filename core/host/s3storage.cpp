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
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QMetaObject>
#include <QMutex>
#include <QWaitCondition>
#include <QPointer>
#include <QRegularExpression>
#include <QTemporaryFile>

#include <unistd.h>
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

// Written before an upload's objects are deleted: a record save racing the removal
// (processing on another instance) sees it and takes its record back out.
QString removedKey(const QString &id)
{
    return QStringLiteral("removed/") + id;
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

constexpr char kUnreadableCode[] = "host.object_unreadable";

// A failed read as the host answers it: the bucket's failure (503), or an object that
// does not read as what it should be (500).
Error readError(const Error &e)
{
    return e.code == QLatin1String(kUnreadableCode) ? e : storageError(e);
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

namespace {

// A small JSON object (a record, a lease) read whole. A body that does not parse is
// read again a few times: some S3-compatible servers (s3rver) replace an object in
// place, so a read meeting a write sees part of it (S3 itself never does). A missing
// key comes back as s3.no_such_key.
Result<QJsonObject> getJsonObject(S3Gateway &gateway, const QString &key)
{
    for (int attempt = 0;; ++attempt) {
        auto got = gateway.call([&](s3::BlockingS3Client &c) { return c.getObject(key); });
        if (!got.ok())
            return got.error();
        QJsonParseError parsed;
        const QJsonDocument document = QJsonDocument::fromJson(got->body, &parsed);
        if (parsed.error == QJsonParseError::NoError && document.isObject())
            return document.object();
        if (attempt == 4)
            return Error(QString::fromLatin1(kUnreadableCode), QStringLiteral("'%1' in the bucket is not the JSON object it should be.").arg(key), 500);
        QThread::msleep(20UL << attempt);
    }
}

} // namespace

// ---------------------------------------------------------------------------
// S3UploadStore

S3UploadStore::S3UploadStore(S3Storage &storage) : m_storage(storage)
{
}

Result<std::shared_ptr<UploadRecord>> S3UploadStore::read(const QString &id) const
{
    auto got = getJsonObject(m_storage.gateway(), recordKey(id));
    if (!got.ok() && !got.error().code.startsWith(QLatin1String("host.")))
        return isMissing(got.error()) ? Result<std::shared_ptr<UploadRecord>>(std::shared_ptr<UploadRecord>())
                                      : Result<std::shared_ptr<UploadRecord>>(storageError(got.error()));
    auto record = got.ok() ? uploadRecordFromJson(id, got.value()) : nullptr;
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
    // Without conditional writes (s3rver) a blind put would bring back an upload another
    // instance removed meanwhile; its tombstone, written before the removal starts, says so.
    auto tombstone = gateway.call([&](s3::BlockingS3Client &c) { return c.headObject(removedKey(record.id)); });
    if (tombstone.ok()) {
        gateway.callBestEffort([&](s3::BlockingS3Client &c) { return c.deleteObject(recordKey(record.id)); },
                               QStringLiteral("taking back the record of removed upload %1").arg(record.id));
        if (!record.playbackId.isEmpty())
            gateway.callBestEffort([&](s3::BlockingS3Client &c) { return c.deleteObject(playbackKey(record.playbackId)); },
                                   QStringLiteral("taking back the playback id of removed upload %1").arg(record.id));
        return Error(QStringLiteral("host.upload_removed"), QStringLiteral("The upload was removed while it was being updated."), 404);
    }
    if (!isMissing(tombstone.error()))
        return storageError(tombstone.error());
    return {};
}

Status S3UploadStore::remove(const QString &id)
{
    if (m_removalObserver)
        m_removalObserver(id);
    S3Gateway &gateway = m_storage.gateway();
    if (auto t = gateway.call([&](s3::BlockingS3Client &c) { return c.putObject(removedKey(id), {}); }); !t.ok())
        return storageError(t.error());
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

namespace {
// Objects of an upload without its record (a creation cut short) go when the newest is this old.
constexpr qint64 kOrphanSeconds = 3600;
// A removed upload's tombstone stays a day: far longer than any processing of it.
constexpr qint64 kTombstoneSeconds = 24 * 3600;
}

QStringList S3UploadStore::purgeExpired(const QDateTime &now)
{
    QStringList gone;
    S3Gateway &gateway = m_storage.gateway();
    // Every upload folder: uploads/<id>/ (a page of prefixes at a time).
    s3::ListOptions folders;
    folders.prefix = QStringLiteral("uploads/");
    folders.delimiter = QStringLiteral("/");
    QStringList ids;
    for (;;) {
        auto page = gateway.call([&](s3::BlockingS3Client &c) { return c.listObjects(folders); });
        if (!page.ok()) {
            qWarning().noquote() << QStringLiteral("Sweeping expired uploads: %1").arg(storageError(page.error()).message);
            return gone;
        }
        for (const QString &prefix : page->list.commonPrefixes)
            ids << prefix.section(QLatin1Char('/'), 1, 1);
        if (!page->list.truncated)
            break;
        folders.continuationToken = page->list.nextContinuationToken;
    }
    static const QRegularExpression idRe(QStringLiteral("^[0-9a-f]{32}$"));
    for (const QString &id : std::as_const(ids)) {
        if (!idRe.match(id).hasMatch())
            continue;
        auto record = read(id);
        if (!record.ok())
            continue; // the bucket failed (said by read's caller next time) or the record is damaged: kept
        bool expired = false;
        if (const auto &r = record.value()) {
            expired = !r->complete() && r->expiresAt.isValid() && r->expiresAt <= now;
            if (expired) {
                // A PATCH streaming now renews the record and its lease: not expired then.
                auto lease = getJsonObject(gateway, leaseKey(id));
                if (lease.ok()) {
                    const QDateTime until = QDateTime::fromString(lease->value(QStringLiteral("expires")).toString(), Qt::ISODateWithMs);
                    expired = !(until.isValid() && until > now);
                } else if (!isMissing(lease.error())) {
                    expired = false;
                }
            }
        } else {
            // No record: the leftovers of a creation cut short, once they are old.
            s3::ListOptions objects;
            objects.prefix = QStringLiteral("uploads/") + id + QLatin1Char('/');
            auto listed = gateway.call([&](s3::BlockingS3Client &c) { return c.listObjects(objects); });
            if (!listed.ok())
                continue;
            QDateTime newest;
            for (const auto &o : listed->list.objects)
                newest = qMax(newest, o.lastModified);
            expired = newest.isValid() && newest.secsTo(now) > kOrphanSeconds;
        }
        if (!expired)
            continue;
        if (auto removed = remove(id); !removed.ok()) {
            qWarning().noquote() << QStringLiteral("Expired upload %1: %2").arg(id, removed.error().message);
            continue;
        }
        gone << id;
    }
    // Tombstones outlive any save that could still race their removal.
    s3::ListOptions tombstones;
    tombstones.prefix = QStringLiteral("removed/");
    for (;;) {
        auto page = gateway.call([&](s3::BlockingS3Client &c) { return c.listObjects(tombstones); });
        if (!page.ok())
            break;
        for (const auto &o : page->list.objects) {
            if (o.lastModified.isValid() && o.lastModified.secsTo(now) > kTombstoneSeconds)
                gateway.callBestEffort([&](s3::BlockingS3Client &c) { return c.deleteObject(o.key); },
                                       QStringLiteral("removing the tombstone %1").arg(o.key));
        }
        if (!page->list.truncated)
            break;
        tombstones.continuationToken = page->list.nextContinuationToken;
    }
    // Spooled parts left by a stopped instance of this scratch folder.
    QDirIterator spools(m_storage.scratchDir(), {QStringLiteral("part-*"), QStringLiteral("serve-*")}, QDir::Files);
    while (spools.hasNext()) {
        const QFileInfo spool(spools.next());
        if (spool.lastModified().secsTo(now) > kOrphanSeconds)
            QFile::remove(spool.filePath());
    }
    return gone;
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
// One PATCH into an upload kept in the bucket. Bytes go to a spool file of one
// part; a full part goes to the multipart upload (and, without a checksum, is
// recorded: a checkpoint any instance resumes from) on a gateway thread while
// the next part spools, so the server thread never waits for the bucket. Two
// spool files at most: when both are full the body is held back (BodyValve)
// until the part in flight is stored. What is left when the body ends is
// stored as the tail object. The lease taken before the first byte keeps other
// instances out; it is checked again before every record.
//
// S3Patch is shared by the handler and the bucket steps it starts (one at a
// time, in order): a PATCH abandoned by its client still finishes its steps.
class S3Patch final : public std::enable_shared_from_this<S3Patch> {
public:
    S3Patch(S3UploadStore &store, PatchIntake intake, MultipartState state, QString leaseOwner)
        : m_store(store), m_intake(std::move(intake)), m_state(std::move(state)), m_leaseOwner(std::move(leaseOwner)),
          m_recordedPartsEnd(m_state.partsEnd()), m_queuedBytes(m_state.partsEnd())
    {
    }

    // A gateway thread (takePatch): the first spool, starting with the tail waiting in the bucket.
    Status open()
    {
        auto spool = newSpool();
        if (!spool.ok())
            return spool.error();
        m_spool = std::move(spool).value();
        if (m_intake.checksumAlgorithm) {
            auto digest = tus::IncrementalDigest::create(*m_intake.checksumAlgorithm);
            if (!digest.ok())
                return Error(digest.error().code, digest.error().message, 500);
            m_hash.emplace(std::move(digest).value());
        }
        if (m_state.tailBytes > 0) {
            s3::GetOptions range;
            range.range = s3::ByteRange{0, m_state.tailBytes - 1};
            const QString key = tailKey(m_intake.record->id, m_state.partsEnd());
            m_spool->close();
            auto got = gateway().call([&](s3::BlockingS3Client &c) { return c.getObjectToFile(key, m_spool->fileName(), range); });
            if (!got.ok())
                return storageError(got.error());
            if (!m_spool->open() || m_spool->size() != m_state.tailBytes || !m_spool->seek(m_state.tailBytes))
                return Error(QStringLiteral("host.storage"), QStringLiteral("The upload's stored tail is shorter than recorded."), 500);
        }
        return {};
    }

    // A gateway thread: gives the upload up before the first byte (open() failed).
    void refuse()
    {
        m_finished = true;
        release();
    }

    // ---- server thread ----

    void attach(BodyValve valve) { m_valve = valve; }

    Status body(const char *data, qint64 size)
    {
        if (m_error)
            return *m_error;
        if (m_hash) {
            if (Status hashed = m_hash->addData(QByteArrayView(data, size)); !hashed.ok()) {
                m_error = Error(hashed.error().code, hashed.error().message, 500);
                return *m_error;
            }
        }
        while (size > 0) {
            if (m_waitingFull) { // both spools full: the rest waits here (< one read) and the body is held
                m_carry.append(data, size);
                break;
            }
            const qint64 n = qMin(size, m_state.partBytes - m_spool->pos());
            if (m_spool->write(data, n) != n)
                return failNow(Error(QStringLiteral("tus.write"), QStringLiteral("The host could not spool the upload to disk."), 500));
            data += n;
            size -= n;
            if (m_spool->pos() == m_state.partBytes && offsetNow() < m_intake.record->length) {
                if (!m_stepRunning) {
                    if (Status s = startPart(); !s.ok())
                        return failNow(s.error());
                } else {
                    m_waitingFull = true;
                    m_valve.pause();
                }
            }
        }
        if (!m_stepRunning && m_renewLease.hasExpired()) {
            m_renewLease.setRemainingTime(kUploadLeaseRenewMs);
            runStep([](S3Patch &p) { return p.renewLease(); });
        }
        return {};
    }

    void end(Responder responder)
    {
        m_bodyDone = true;
        m_responder = std::move(responder);
        if (!m_stepRunning && !m_waitingFull)
            finishAfterBody();
    }

    void abandon()
    {
        if (m_bodyDone || m_abandoned || m_finishing)
            return;
        m_abandoned = true;
        if (!m_stepRunning && !m_waitingFull)
            finishAbandoned();
    }

private:
    S3Gateway &gateway() { return m_store.m_storage.gateway(); }
    qint64 offsetNow() const { return m_queuedBytes + m_spool->pos(); }

    Result<std::unique_ptr<QTemporaryFile>> newSpool()
    {
        auto spool = std::make_unique<QTemporaryFile>(QDir(m_store.m_storage.scratchDir()).filePath(QStringLiteral("part-XXXXXX")));
        if (!spool->open())
            return Error(QStringLiteral("host.storage"), QStringLiteral("The host could not create a spool file for the upload."), 500);
        return spool;
    }

    // A failure found on the server thread while the body streams: the door
    // answers it and abandons us; we only give the lease back.
    Error failNow(Error e)
    {
        m_error = e;
        return e;
    }

    // Runs one bucket step on a gateway thread; afterStep on this thread when it is done.
    void runStep(std::function<Status(S3Patch &)> work)
    {
        m_stepRunning = true;
        auto self = shared_from_this();
        S3Storage &storage = m_store.m_storage;
        storage.runBlocking([self, work = std::move(work), context = storage.context()] {
            auto outcome = std::make_shared<Status>(work(*self));
            QMetaObject::invokeMethod(context, [self, outcome] { self->afterStep(*outcome); }, Qt::QueuedConnection);
        });
    }

    // Hands the full spool to a part step; the next part spools in the other file.
    Status startPart()
    {
        if (!m_spool->flush())
            return Error(QStringLiteral("tus.write"), QStringLiteral("The host could not spool the upload to disk."), 500);
        m_inFlight = std::move(m_spool);
        m_queuedBytes += m_state.partBytes;
        if (m_spare) {
            m_spool = std::move(m_spare);
        } else {
            auto spool = newSpool();
            if (!spool.ok())
                return spool.error();
            m_spool = std::move(spool).value();
        }
        if (!m_carry.isEmpty()) {
            if (m_spool->write(m_carry) != m_carry.size())
                return Error(QStringLiteral("tus.write"), QStringLiteral("The host could not spool the upload to disk."), 500);
            m_carry.clear();
        }
        const QString path = m_inFlight->fileName();
        const qint64 bytes = m_state.partBytes;
        const bool checkpoint = !m_hash; // without a checksum partial bodies count
        m_renewLease.setRemainingTime(kUploadLeaseRenewMs);
        runStep([path, bytes, checkpoint](S3Patch &p) {
            if (Status s = p.sendPart(path, bytes); !s.ok())
                return s;
            return checkpoint ? p.record() : p.renewLease();
        });
        return {};
    }

    void afterStep(const Status &outcome)
    {
        m_stepRunning = false;
        if (m_inFlight) { // the part is stored: its file spools the next one
            m_inFlight->seek(0);
            m_inFlight->resize(0);
            m_spare = std::move(m_inFlight);
        }
        if (m_finishing)
            return; // the last step (finishAfterBody/finishAbandoned) answers itself
        if (!outcome.ok() && !m_error) {
            m_error = outcome.error();
            if (!m_bodyDone && !m_abandoned) {
                m_waitingFull = false;
                m_valve.answerNow(m_intake.answer(*m_error, m_intake.record)); // the rest of the body unread
                m_finishing = true;
                runStep([](S3Patch &p) {
                    p.release();
                    return Status();
                });
                return;
            }
        }
        if (m_waitingFull && !m_error) {
            m_waitingFull = false;
            if (Status s = startPart(); !s.ok()) {
                m_error = s.error();
            } else {
                if (!m_bodyDone && !m_abandoned)
                    m_valve.resume();
                return;
            }
        }
        m_waitingFull = false;
        if (m_bodyDone)
            finishAfterBody();
        else if (m_abandoned)
            finishAbandoned();
    }

    void finishAfterBody()
    {
        m_finishing = true;
        Responder responder = *m_responder;
        if (m_error) {
            const Error e = *m_error;
            runStep([](S3Patch &p) {
                p.release();
                return Status();
            });
            responder.send(m_intake.answer(e, m_intake.record));
            return;
        }
        if (m_hash) {
            const Result<QByteArray> digest = m_hash->result();
            if (!digest.ok() || digest.value() != m_intake.expectedDigest) {
                auto self = shared_from_this();
                runStepThen([](S3Patch &p) {
                    p.release();
                    return Status();
                }, [self, responder](const Status &) {
                    responder.send(self->m_intake.answer(
                        Error(QStringLiteral("tus.checksum"),
                              QStringLiteral("The Upload-Checksum does not match the received bytes; nothing was written."), 460),
                        self->m_intake.record));
                });
                return;
            }
        }
        const Result<QString> spooled = flushedSpool();
        if (!spooled.ok()) {
            runStep([](S3Patch &p) {
                p.release();
                return Status();
            });
            responder.send(m_intake.answer(spooled.error(), m_intake.record));
            return;
        }
        auto self = shared_from_this();
        // The answer is made there too: a completed upload is queued for processing
        // (in the bucket) before the client hears of it.
        runStepThen([path = spooled.value(), bytes = m_spool->pos()](S3Patch &p) {
            const Status stored = p.finishBytes(path, bytes);
            p.release();
            p.m_finalAnswer = p.m_intake.answer(stored, p.m_intake.record);
            return stored;
        }, [self, responder](const Status &) { responder.send(self->m_finalAnswer); });
    }

    // No one to answer: without a checksum the bytes received count (as in the data dir).
    void finishAbandoned()
    {
        m_finishing = true;
        const Result<QString> spooled = flushedSpool();
        const bool keep = !m_error && !m_hash && spooled.ok();
        const QString id = m_intake.record->id;
        runStep([keep, path = spooled.ok() ? spooled.value() : QString(), bytes = m_spool->pos(), id](S3Patch &p) {
            if (keep) {
                if (auto s = p.finishBytes(path, bytes); !s.ok())
                    qWarning().noquote() << QStringLiteral("Upload %1: %2").arg(id, s.error().message);
            }
            p.release();
            return Status();
        });
    }

    void runStepThen(std::function<Status(S3Patch &)> work, std::function<void(const Status &)> then)
    {
        m_then = std::move(then);
        m_stepRunning = true;
        auto self = shared_from_this();
        S3Storage &storage = m_store.m_storage;
        storage.runBlocking([self, work = std::move(work), context = storage.context()] {
            auto outcome = std::make_shared<Status>(work(*self));
            QMetaObject::invokeMethod(context, [self, outcome] {
                self->m_stepRunning = false;
                if (auto then = std::move(self->m_then))
                    then(*outcome);
            }, Qt::QueuedConnection);
        });
    }

    Result<QString> flushedSpool()
    {
        if (!m_spool->flush())
            return Error(QStringLiteral("tus.write"), QStringLiteral("The host could not spool the upload to disk."), 500);
        return m_spool->fileName();
    }

    // ---- gateway threads, one step at a time ----

    Status sendPart(const QString &path, qint64 bytes)
    {
        const QString key = uploadDataKey(m_intake.record->id);
        const int number = int(m_state.etags.size()) + 1;
        auto part = gateway().call([&](s3::BlockingS3Client &c) {
            return c.uploadPartFromFile(key, m_state.uploadId, number, path, 0, bytes);
        });
        if (!part.ok())
            return storageError(part.error());
        m_state.etags << part->object.etag;
        m_state.tailBytes = 0;
        return {};
    }

    // The lease still ours: else another instance took the upload over (ours expired).
    Status leaseHeld()
    {
        auto got = getJsonObject(gateway(), leaseKey(m_intake.record->id));
        if (!got.ok() && !isMissing(got.error()))
            return readError(got.error());
        const QJsonObject lease = got.ok() ? got.value() : QJsonObject();
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
        return takeLease(m_store, m_intake.record->id, m_leaseOwner);
    }

    Status renewLease()
    {
        if (auto s = leaseHeld(); !s.ok())
            return s;
        return takeLease(m_store, m_intake.record->id, m_leaseOwner);
    }

    // Stores what the spool holds: the last part and the whole object when the
    // upload is complete, else the tail object.
    Status finishBytes(const QString &spoolPath, qint64 spooled)
    {
        UploadRecord &r = *m_intake.record;
        const qint64 oldPartsEnd = m_recordedPartsEnd;
        const QString key = uploadDataKey(r.id);
        if (m_state.partsEnd() + spooled == r.length) {
            if (spooled > 0 || m_state.etags.isEmpty()) {
                if (auto s = sendPart(spoolPath, spooled); !s.ok())
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
            const QString tail = tailKey(r.id, m_state.partsEnd());
            auto put = gateway().call([&](s3::BlockingS3Client &c) { return c.putObjectFromFile(tail, spoolPath, 0, spooled); });
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
    // Writes a lease on upload `id` for `owner` (kUploadLeaseSeconds from now). Gateway threads.
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
    // Gateway threads (one step at a time):
    MultipartState m_state;
    QString m_leaseOwner;
    qint64 m_recordedPartsEnd; // where the recorded tail object starts
    bool m_released = false;
    // Server thread:
    BodyValve m_valve;
    std::unique_ptr<QTemporaryFile> m_spool;    // the part being received
    std::unique_ptr<QTemporaryFile> m_inFlight; // the part being stored
    std::unique_ptr<QTemporaryFile> m_spare;    // emptied, for the next part
    QByteArray m_carry;                         // bytes past a full spool while a part is in flight
    qint64 m_queuedBytes;                       // upload bytes before m_spool (stored or in flight)
    QDeadlineTimer m_renewLease{kUploadLeaseRenewMs};
    std::optional<tus::IncrementalDigest> m_hash;
    std::optional<Error> m_error;
    std::optional<Responder> m_responder;
    std::function<void(const Status &)> m_then;
    HttpResponse m_finalAnswer; // made by the last step, sent from this thread
    bool m_stepRunning = false;
    bool m_waitingFull = false; // m_spool is full and waits for the part in flight
    bool m_bodyDone = false;
    bool m_abandoned = false;
    bool m_finishing = false;
    bool m_finished = false;
};

// The door's handler of an S3 PATCH: everything happens in its S3Patch.
class S3PatchSink final : public RequestHandler {
public:
    explicit S3PatchSink(std::shared_ptr<S3Patch> patch) : m_patch(std::move(patch)) {}
    ~S3PatchSink() override { m_patch->abandon(); } // after end() it does nothing
    void attach(BodyValve valve) override { m_patch->attach(valve); }
    Status body(const char *data, qint64 size) override { return m_patch->body(data, size); }
    void end(Responder responder) override { m_patch->end(std::move(responder)); }
    void abandon() override { m_patch->abandon(); }

private:
    std::shared_ptr<S3Patch> m_patch;
};

Result<std::unique_ptr<RequestHandler>> S3UploadStore::takePatch(PatchIntake intake)
{
    const QString id = intake.record->id;
    const Error busy(QStringLiteral("tus.busy"),
                     QStringLiteral("The upload is receiving data on another request; try again when it ends."), 423);
    // Another instance's unexpired lease refuses; an expired one is taken over.
    auto current = getJsonObject(m_storage.gateway(), leaseKey(id));
    const bool leaseExists = current.ok();
    if (!current.ok() && !isMissing(current.error()))
        return readError(current.error());
    if (leaseExists) {
        const QJsonObject &lease = current.value();
        const QDateTime expires = QDateTime::fromString(lease.value(QStringLiteral("expires")).toString(), Qt::ISODateWithMs);
        if (expires.isValid() && expires > QDateTime::currentDateTimeUtc())
            return busy;
    }
    // Unique per request: two PATCHes on one instance exclude each other too.
    const QString owner = m_storage.instanceId() + QLatin1Char('/') + randomHex(8);
    if (auto s = S3Patch::takeLease(*this, id, owner, !leaseExists && m_storage.conditionalWrites()); !s.ok())
        return s.error().httpStatus == 423 ? busy : s.error();
    // Without conditional writes two instances may both have written: the lease
    // read back names the one that wrote last, and only that one goes on.
    auto check = getJsonObject(m_storage.gateway(), leaseKey(id));
    if (!check.ok() || check->value(QStringLiteral("owner")).toString() != owner)
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
    auto patch = std::make_shared<S3Patch>(*this, std::move(intake), state, owner);
    if (auto s = patch->open(); !s.ok()) {
        patch->refuse();
        return s.error();
    }
    return std::unique_ptr<RequestHandler>(std::make_unique<S3PatchSink>(std::move(patch)));
}

// ---------------------------------------------------------------------------
// S3Storage

S3Storage::S3Storage(s3::S3Config config, QString scratchDir, qint64 partBytes)
    : m_config(std::move(config)), m_scratchDir(std::move(scratchDir)), m_partBytes(qMax(partBytes, s3::kMinPartSize)),
      m_instanceId(randomHex(8)), m_uploads(*this)
{
    m_servePool.setObjectName(QStringLiteral("S3Serve"));
    m_servePool.setMaxThreadCount(32);
}

S3Storage::~S3Storage()
{
    m_servePool.waitForDone(); // its answers go to m_context
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

// GET/HEAD of an object, on a thread of the storage's serving pool: a HEAD for
// its size, then the answer's head, then the asked range read from S3 with a
// ranged GET and passed on to the client as it arrives (HttpResponse::streamed):
// the GET waits while the client reads, so a big object never piles up in RAM
// or on disk. An error before the head is an answer (404, 416, 503); after it,
// a short body and the connection cut.
class ObjectAnswer final : public RequestHandler {
public:
    ObjectAnswer(s3::S3Config config, QObject *context, QThreadPool *pool, HttpRequest request, QString key,
                 QByteArray contentType, HeaderList headers, QString notFound)
        : m_config(std::move(config)), m_context(context), m_pool(pool), m_request(std::move(request)), m_key(std::move(key)),
          m_type(std::move(contentType)), m_headers(std::move(headers)), m_notFound(std::move(notFound))
    {
    }

    void end(Responder responder) override
    {
        m_pool->start([config = m_config, context = m_context, request = m_request, key = m_key, type = m_type,
                       headers = m_headers, notFound = m_notFound, responder] {
            const auto answer = [&](HttpResponse r) {
                QMetaObject::invokeMethod(context, [responder, r] { responder.send(r); }, Qt::QueuedConnection);
            };
            s3::BlockingS3Client client(config);
            auto head = client.headObject(key);
            if (!head.ok()) {
                answer(isMissing(head.error()) ? HttpResponse::error(404, notFound)
                                               : HttpResponse::error(503, storageError(head.error()).message));
                return;
            }
            const qint64 size = head->object.size;
            HttpResponse r = HttpResponse::file(QString(), size, type, request.header("range"));
            if (r.status != 200 && r.status != 206)
                return answer(std::move(r)); // 416
            for (const auto &h : headers)
                r.setHeader(h.first, h.second);
            auto stream = StreamedBody::create();
            if (!stream.ok())
                return answer(HttpResponse::error(500, stream.error().message));
            r.streamed = stream->first;
            const int producer = stream->second;
            const qint64 first = r.fileOffset;
            const qint64 length = r.fileLength;
            answer(std::move(r));
            if (request.method != "HEAD" && length > 0) {
                ProducerDevice sink(producer);
                s3::GetOptions range;
                range.range = s3::ByteRange{first, first + length - 1};
                if (auto got = client.getObjectToDevice(key, &sink, range); !got.ok() && !sink.clientGone())
                    qWarning().noquote() << QStringLiteral("Serving %1: %2").arg(key, storageError(got.error()).message);
            }
            ::close(producer); // after the last byte; early, and the door cuts the answer short
        });
    }

private:
    // The producer's end of a StreamedBody as a device S3Client writes into.
    class ProducerDevice final : public QIODevice {
    public:
        explicit ProducerDevice(int fd) : m_fd(fd) { open(QIODevice::WriteOnly | QIODevice::Unbuffered); }
        bool isSequential() const override { return true; }
        bool clientGone() const { return m_gone; }

    protected:
        qint64 readData(char *, qint64) override { return -1; }
        qint64 writeData(const char *data, qint64 size) override
        {
            if (!writeStreamedBytes(m_fd, data, size)) {
                m_gone = true;
                return -1;
            }
            return size;
        }

    private:
        int m_fd;
        bool m_gone = false;
    };

    s3::S3Config m_config;
    QObject *m_context;
    QThreadPool *m_pool;
    HttpRequest m_request;
    QString m_key;
    QByteArray m_type;
    HeaderList m_headers;
    QString m_notFound;
};

} // namespace

Admission S3Storage::serve(const HttpRequest &request, const QString &key, const QByteArray &contentType,
                           const HeaderList &headers, const QString &notFoundMessage)
{
    return Admission::stream(std::make_unique<ObjectAnswer>(m_config, m_context, &m_servePool, request, key, contentType,
                                                            headers, notFoundMessage),
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

namespace {

QString processingLeaseKey(const QString &id)
{
    return QStringLiteral("uploads/") + id + QStringLiteral("/processing");
}

struct ProcessingLease {
    QString owner;
    QDateTime expires;
    bool live() const { return expires.isValid() && expires > QDateTime::currentDateTimeUtc(); }
};

// Null when there is none; an error when the bucket could not tell.
Result<std::optional<ProcessingLease>> readProcessingLease(S3Gateway &gateway, const QString &id)
{
    auto got = getJsonObject(gateway, processingLeaseKey(id));
    if (!got.ok()) {
        if (isMissing(got.error()))
            return std::optional<ProcessingLease>();
        return readError(got.error());
    }
    const QJsonObject &o = got.value();
    return std::optional<ProcessingLease>(ProcessingLease{
        o.value(QStringLiteral("owner")).toString(),
        QDateTime::fromString(o.value(QStringLiteral("expires")).toString(), Qt::ISODateWithMs)});
}

Status writeProcessingLease(S3Gateway &gateway, const QString &id, const QString &owner)
{
    const QJsonObject lease{{QStringLiteral("owner"), owner},
                            {QStringLiteral("expires"),
                             QDateTime::currentDateTimeUtc().addSecs(kProcessingLeaseSeconds).toString(Qt::ISODateWithMs)}};
    s3::PutOptions options;
    options.contentType = "application/json";
    auto put = gateway.call([&](s3::BlockingS3Client &c) {
        return c.putObject(processingLeaseKey(id), QJsonDocument(lease).toJson(QJsonDocument::Compact), options);
    });
    return put.ok() ? Status() : Status(storageError(put.error()));
}

} // namespace

Result<bool> S3Storage::claimProcessing(const QString &id, const QString &owner)
{
    auto current = readProcessingLease(*m_gateway, id);
    if (!current.ok())
        return current.error();
    if (current.value() && current.value()->live() && current.value()->owner != owner)
        return false;
    if (auto s = writeProcessingLease(*m_gateway, id, owner); !s.ok())
        return s.error();
    // Without conditional writes two instances may both have written: the one read back goes on.
    auto check = readProcessingLease(*m_gateway, id);
    if (!check.ok())
        return check.error();
    return check.value() && check.value()->owner == owner;
}

Status S3Storage::renewProcessing(const QString &id, const QString &owner)
{
    auto current = readProcessingLease(*m_gateway, id);
    if (!current.ok())
        return current.error();
    if (current.value() && current.value()->owner != owner)
        return Error(QStringLiteral("host.processing_taken"),
                     QStringLiteral("Another instance took over processing video %1.").arg(id), 409);
    return writeProcessingLease(*m_gateway, id, owner);
}

void S3Storage::releaseProcessing(const QString &id, const QString &owner)
{
    auto current = readProcessingLease(*m_gateway, id);
    if (current.ok() && current.value() && current.value()->owner == owner)
        m_gateway->callBestEffort([&](s3::BlockingS3Client &c) { return c.deleteObject(processingLeaseKey(id)); },
                                  QStringLiteral("releasing the processing lease of %1").arg(id));
}

bool S3Storage::processingAbandoned(const QString &id)
{
    auto current = readProcessingLease(*m_gateway, id);
    return current.ok() && !(current.value() && current.value()->live());
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
