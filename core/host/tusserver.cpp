#include "host/tusserver.h"

#include "common/decimal.h"
#include "tus/incrementaldigest.h"
#include "tus/tusprotocol.h"

#include <QDateTime>
#include <QFile>
#include <QMutexLocker>

#include <condition_variable>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

namespace deso::host {

namespace {

constexpr qint64 kMinChunk = 5242880;        // production: at least 5 MiB unless last
constexpr qint64 kMaxChunk = 209715200;      // production: at most 200 MiB
constexpr qint64 kChunkGranule = 256 * 1024; // production: multiple of 256 KiB unless last

const QByteArray kTusVersion = tus::kVersion;

HttpResponse tusError(int status, const QString &message)
{
    HttpResponse r = HttpResponse::error(status, message);
    r.setHeader("Tus-Resumable", kTusVersion);
    return r;
}

// A tus answer given from the head: whatever body follows (a chunk of any size)
// stays unread and the front door closes the connection after the answer.
Admission answerFromHead(HttpResponse response)
{
    Admission a = Admission::answer(std::move(response));
    a.maxBodyBytes = std::numeric_limits<qint64>::max();
    return a;
}

// Follows a PATCH's writes on a thread of its own, so that the receiving thread
// only moves bytes (issue 15's profile: hashing was a quarter of its time, and
// the writeback hints were its syscalls too). For each piece written it
//  - adds the piece to the Upload-Checksum digest, reading it back from the page
//    cache (so it checks what the file holds, not just what arrived), and
//  - starts the piece's writeback, so the disk works while the body streams in and
//    the fdatasync before the answer finds little left.
class WrittenBytesFollower {
public:
    // `digest` is set when the request carried an Upload-Checksum.
    WrittenBytesFollower(std::optional<tus::IncrementalDigest> digest, int fd, qint64 start)
        : m_digest(std::move(digest)), m_fd(fd), m_start(start), m_thread([this] { run(); })
    {
    }
    ~WrittenBytesFollower() { stop(); }

    bool hashing() const { return m_digest.has_value(); }

    // `total` bytes from the start are in the file now.
    void written(qint64 total)
    {
        std::lock_guard lock(m_mutex);
        m_written = total;
        if (m_waiting && m_written - m_followed >= kPiece)
            m_wake.notify_one(); // only when the thread sleeps: no wake-up per receive
    }

    // Waits until everything written is followed; the digest (empty without one),
    // or why there is none. The thread has ended: the caller may cut or close the file.
    Result<QByteArray> finish()
    {
        stop();
        if (!m_status.ok())
            return m_status.error();
        return m_digest ? m_digest->result() : Result<QByteArray>(QByteArray());
    }

private:
    static constexpr qint64 kPiece = 4 * 1024 * 1024;

    void stop()
    {
        {
            std::lock_guard lock(m_mutex);
            m_closing = true;
        }
        m_wake.notify_one();
        if (m_thread.joinable())
            m_thread.join();
    }

    void run()
    {
        std::unique_lock lock(m_mutex);
        for (;;) {
            m_waiting = true;
            m_wake.wait(lock, [this] { return m_closing || m_written - m_followed >= kPiece; });
            m_waiting = false;
            const qint64 from = m_followed;
            const qint64 to = m_written;
            if (from == to)
                return; // closing, all followed
            lock.unlock();
            Status s = m_digest ? m_digest->addFileRange(m_fd, m_start + from, to - from) : Status();
            // A hint (errors show in the fdatasync that ends the PATCH).
            ::sync_file_range(m_fd, m_start + from, to - from, SYNC_FILE_RANGE_WRITE);
            lock.lock();
            m_followed = to;
            if (!s.ok()) {
                m_status = s;
                return;
            }
        }
    }

    std::optional<tus::IncrementalDigest> m_digest;
    const int m_fd;
    const qint64 m_start;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    qint64 m_written = 0;  // guarded by m_mutex
    qint64 m_followed = 0; // guarded by m_mutex
    bool m_waiting = false;
    bool m_closing = false;
    Status m_status;       // the thread's, read after join
    std::thread m_thread;  // last: starts once the rest is set up
};

} // namespace

// Streams one PATCH (or creation-with-upload) body into the upload's data file
// at the recorded offset. Bytes land on disk before the offset advances; with a
// checksum nothing is recorded until the digest matches, and a mismatch
// truncates the file back, so "nothing written" holds.
class TusPatchSink final : public RequestHandler {
public:
    // `digest` is set when the request carried an Upload-Checksum. A SHA or MD5 digest
    // is computed by the follower from the bytes read back; a CRC-32 (tens of GB/s with
    // libdeflate) right here from the bytes as they arrive, which spares reading every
    // byte back: it checks the transport, as the checksum is meant to.
    TusPatchSink(TusServer &server, std::shared_ptr<UploadRecord> record, int fd,
                 std::optional<tus::IncrementalDigest> digest, bool hashOnArrival, QByteArray expectedDigest,
                 HeaderList extraHeaders)
        : m_server(server), m_record(std::move(record)), m_fd(fd), m_start(m_record->offset),
          m_expected(std::move(expectedDigest)), m_extra(std::move(extraHeaders))
    {
        m_record->busy = true;
        if (hashOnArrival && digest) {
            m_arrivalDigest = std::move(digest);
            digest.reset(); // the follower then only starts writeback
        }
        m_follower = std::make_unique<WrittenBytesFollower>(std::move(digest), m_fd, m_start);
    }

    ~TusPatchSink() override
    {
        if (!m_finished)
            abandon();
    }

    Status body(const char *data, qint64 size) override
    {
        qint64 done = 0;
        while (done < size) {
            const ssize_t n = ::pwrite(m_fd, data + done, size_t(size - done), m_start + m_written + done);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                // Undone in finish(): the offset stays at the last durable checkpoint.
                m_failed = true;
                return storageWriteError(errno, QStringLiteral("tus.write"),
                                         QStringLiteral("The host could not write the upload to disk."));
            }
            done += n;
        }
        if (m_arrivalDigest && m_arrivalStatus.ok())
            m_arrivalStatus = m_arrivalDigest->addData(QByteArrayView(data, size)); // checked in finish()
        m_written += size;
        m_follower->written(m_written);
        // Without a checksum, partial bodies count: checkpoint now and then so a
        // crash mid-PATCH loses at most checkpointBytes.
        if (!checksummed() && m_written - m_lastCheckpoint >= m_server.m_config.checkpointBytes) {
            if (auto s = commit(m_start + m_written); !s.ok())
                return s;
            m_lastCheckpoint = m_written;
        }
        return {};
    }

    void end(Responder responder) override { responder.send(finish(true)); }
    void abandon() override
    {
        if (!m_finished)
            finish(false); // no one to answer: finish() keeps or undoes the bytes
    }

private:
    HttpResponse finish(bool bodyComplete)
    {
        m_finished = true;
        m_record->busy = false;
        // The data's flush does not depend on the digest: it runs while the follower hashes
        // what is left (issue 15: the two were back to back at the end of every PATCH). The
        // offset is still recorded only after both, so durability is unchanged.
        std::future<int> dataSynced;
        if (bodyComplete && !m_failed) {
            try {
                dataSynced = std::async(std::launch::async, [fd = m_fd] { return ::fdatasync(fd) == 0 ? 0 : errno; });
            } catch (const std::system_error &) {
                // No thread to be had: commit() flushes after the digest, as before.
            }
        }
        // The follower and the flush use m_fd: both end before the file is cut back or closed.
        const bool checksummed = this->checksummed();
        Result<QByteArray> received = m_follower->finish(); // fails only while hashing
        if (m_arrivalDigest && received.ok())
            received = m_arrivalStatus.ok() ? m_arrivalDigest->result() : Result<QByteArray>(m_arrivalStatus.error());
        const std::optional<int> syncError = dataSynced.valid() ? std::optional<int>(dataSynced.get()) : std::nullopt;
        if (m_failed) {
            truncateBack(m_record->offset);
            ::close(m_fd);
            return tusError(500, QStringLiteral("The host could not write the upload to disk."));
        }
        if (checksummed) {
            if (bodyComplete && !received.ok()) { // the bytes could not be read back: keep none of them
                truncateBack(m_start);
                ::close(m_fd);
                return tusError(500, QStringLiteral("The host could not check the upload's checksum: %1").arg(received.error().message));
            }
            if (!bodyComplete || received.value() != m_expected) {
                truncateBack(m_start);
                ::close(m_fd);
                HttpResponse r = tusError(460, QStringLiteral("The Upload-Checksum does not match the received bytes; nothing was written."));
                m_server.addCommon(r, m_record.get());
                return r;
            }
        }
        Status s = syncError ? commit(m_start + m_written, *syncError) : commit(m_start + m_written);
        if (!s.ok() && m_failed)
            truncateBack(m_record->offset);
        ::close(m_fd);
        if (!s.ok())
            return tusError(s.error().httpStatus ? s.error().httpStatus : 500, s.error().message);
        HttpResponse r;
        r.status = m_extra.isEmpty() ? 204 : 200; // creation answers 200 like the node
        r.headers = m_extra;
        r.setHeader("Upload-Offset", QByteArray::number(m_record->offset));
        m_server.addCommon(r, m_record.get());
        if (m_record->complete() && m_server.m_onComplete)
            m_server.m_onComplete(m_record);
        return r;
    }

    // `syncError`: the outcome (0 or an errno) of an fdatasync of everything written, when
    // one has already run; without it, commit runs one.
    Status commit(qint64 newOffset, std::optional<int> syncError = std::nullopt)
    {
        const int error = syncError ? *syncError : (::fdatasync(m_fd) == 0 ? 0 : errno);
        if (error != 0) {
            m_failed = true; // not durable: finish() truncates back to the recorded offset
            return storageWriteError(error, QStringLiteral("tus.sync"), QStringLiteral("The host could not flush the upload to disk."));
        }
        m_record->offset = newOffset;
        m_record->expiresAt = QDateTime::currentDateTimeUtc().addSecs(m_server.m_config.expirySeconds);
        return m_server.m_store.save(*m_record);
    }

    bool checksummed() const { return m_arrivalDigest.has_value() || m_follower->hashing(); }

    void truncateBack(qint64 size)
    {
        if (::ftruncate(m_fd, size) != 0) {
            // Bytes past the recorded offset are ignored and overwritten on resume anyway.
        }
    }

    TusServer &m_server;
    std::shared_ptr<UploadRecord> m_record;
    int m_fd;
    qint64 m_start;
    qint64 m_written = 0;
    qint64 m_lastCheckpoint = 0;
    std::unique_ptr<WrittenBytesFollower> m_follower;
    std::optional<tus::IncrementalDigest> m_arrivalDigest; // CRC-32, computed in body()
    Status m_arrivalStatus;
    QByteArray m_expected;
    HeaderList m_extra;
    bool m_finished = false;
    bool m_failed = false;
};

TusServer::TusServer(UploadStore &store, TusConfig config, CompletionHandler onComplete)
    : m_store(store), m_config(config), m_onComplete(std::move(onComplete))
{
}

void TusServer::addCommon(HttpResponse &r, const UploadRecord *record) const
{
    r.setHeader("Tus-Resumable", kTusVersion);
    if (record) {
        r.setHeader("Stream-Media-Id", record->id.toLatin1());
        if (!record->complete() && record->expiresAt.isValid())
            r.setHeader("Upload-Expires", httpDate(record->expiresAt));
    }
}

PatchIntake TusServer::objectPatchIntake(const std::shared_ptr<UploadRecord> &record, qint64 bodyLength,
                                        const QByteArray &checksumHeader, const HeaderList &extraHeaders)
{
    PatchIntake intake;
    intake.record = record;
    intake.bodyLength = bodyLength;
    if (auto parsed = tus::parseUploadChecksum(checksumHeader); !checksumHeader.isNull() && parsed.ok()) { // checked by patch()
        intake.checksumAlgorithm = parsed->algorithm;
        intake.expectedDigest = parsed->digest;
    }
    intake.expirySeconds = m_config.expirySeconds;
    // The same answers as the local PATCH sink's (TusPatchSink::finish).
    intake.answer = [this, extraHeaders](const Status &outcome, const std::shared_ptr<UploadRecord> &r) {
        if (!outcome.ok()) {
            HttpResponse e = tusError(outcome.error().httpStatus ? outcome.error().httpStatus : 500, outcome.error().message);
            addCommon(e, r.get());
            return e;
        }
        HttpResponse ok;
        ok.status = extraHeaders.isEmpty() ? 204 : 200;
        ok.headers = extraHeaders;
        ok.setHeader("Upload-Offset", QByteArray::number(r->offset));
        addCommon(ok, r.get());
        if (r->complete() && m_onComplete)
            m_onComplete(r);
        return ok;
    };
    return intake;
}

Status TusServer::admitToQuota(qint64 length) const
{
    if (!m_config.quota.bounded())
        return {};
    // Unfinished uploads will take their whole length: reserve what they still need.
    qint64 reserved = 0;
    for (const auto &r : m_store.all())
        reserved += r->length - r->offset;
    return m_config.quota.admit(length, reserved);
}

Status TusServer::admitClient(const QByteArray &peerAddress)
{
    if (m_config.maxUnfinishedPerClient <= 0)
        return {};
    QMutexLocker lock(&m_creatorsMutex);
    int unfinished = 0;
    for (auto it = m_creatorOf.begin(); it != m_creatorOf.end();) {
        const auto record = m_store.byId(it.key());
        if (!record || record->complete()) { // finished, deleted or expired: no longer held
            it = m_creatorOf.erase(it);
            continue;
        }
        unfinished += it.value() == peerAddress;
        ++it;
    }
    if (unfinished < m_config.maxUnfinishedPerClient)
        return {};
    return Error(QStringLiteral("tus.too_many_unfinished"),
                 QStringLiteral("This address already has %1 unfinished uploads on this host; finish or delete one, or "
                                "wait until they expire, before starting another.").arg(unfinished), 429);
}

HttpResponse TusServer::options() const
{
    HttpResponse r;
    r.status = 204;
    r.setHeader("Tus-Resumable", kTusVersion);
    r.setHeader("Tus-Version", kTusVersion);
    r.setHeader("Tus-Extension", tus::kServerExtensions);
    r.setHeader("Tus-Max-Size", QByteArray::number(m_config.maxSize));
    r.setHeader("Tus-Checksum-Algorithm", tus::kServerChecksumAlgorithms);
    return r;
}

Admission TusServer::create(const HttpRequest &request, const QByteArray &baseUrl)
{
    const QByteArray resumable = request.header("tus-resumable");
    if (!resumable.isNull() && resumable != kTusVersion) {
        HttpResponse r = tusError(412, QStringLiteral("Tus-Resumable must be 1.0.0."));
        r.setHeader("Tus-Version", kTusVersion);
        return answerFromHead(std::move(r));
    }
    const QByteArray lengthText = request.header("upload-length");
    if (lengthText.isEmpty())
        return answerFromHead(tusError(400, QStringLiteral("UploadVideo: Must provide Upload-Length header")));
    const auto length = parseDecimal(lengthText);
    if (!length)
        return answerFromHead(tusError(400, QStringLiteral("UploadVideo: Unable to convert Upload-Length header to int for validation: %1")
                                                   .arg(QString::fromLatin1(lengthText.left(40)))));
    if (*length > m_config.maxSize)
        return answerFromHead(tusError(400, QStringLiteral("UploadVideo: Files must be less than 250MB")));
    const QByteArray metadataHeader = request.header("upload-metadata");
    auto metadata = tus::parseUploadMetadata(metadataHeader);
    if (!metadata.ok())
        return answerFromHead(tusError(400, metadata.error().message));
    if (request.hasBody() && request.header("content-type") != "application/offset+octet-stream")
        return answerFromHead(tusError(415, QStringLiteral("An upload body must have Content-Type application/offset+octet-stream.")));
    if (auto s = *length > 0 ? admitClient(request.peerAddress) : Status{}; !s.ok()) // an empty one is finished at once
        return answerFromHead(tusError(s.error().httpStatus, s.error().message));
    if (auto s = admitToQuota(*length); !s.ok())
        return answerFromHead(tusError(s.error().httpStatus, s.error().message));
    auto created = m_store.create(*length, metadataHeader, metadata.value(),
                                  QDateTime::currentDateTimeUtc().addSecs(m_config.expirySeconds));
    if (!created.ok())
        return answerFromHead(tusError(created.error().httpStatus ? created.error().httpStatus : 500, created.error().message));
    const auto record = created.value();
    if (m_config.maxUnfinishedPerClient > 0 && !record->complete()) {
        QMutexLocker lock(&m_creatorsMutex);
        m_creatorOf.insert(record->id, request.peerAddress);
    }
    HeaderList extra{
        {"Location", baseUrl + tusPathPrefix() + record->token},
        {"Access-Control-Expose-Headers", "Location, Stream-Media-Id"},
    };
    if (request.hasBody()) {
        extra[1].second = "Location, Stream-Media-Id, Upload-Offset, Upload-Expires, Tus-Resumable";
        return patch(request, record, extra);
    }
    HttpResponse r;
    r.status = 200;
    r.headers = extra;
    addCommon(r, record.get());
    if (record->complete() && m_onComplete)
        m_onComplete(record); // an empty upload is finished at creation
    return answerFromHead(std::move(r));
}

Admission TusServer::handle(const HttpRequest &request, const QByteArray &token)
{
    if (request.method == "OPTIONS")
        return answerFromHead(options());
    auto found = m_store.byToken(token);
    if (!found.ok()) // the store could not tell (503): the client retries rather than starting over
        return answerFromHead(tusError(found.error().httpStatus ? found.error().httpStatus : 503, found.error().message));
    const std::shared_ptr<UploadRecord> record = found.value();
    if (request.header("tus-resumable") != kTusVersion) {
        HttpResponse r = tusError(412, QStringLiteral("Tus-Resumable must be 1.0.0."));
        r.setHeader("Tus-Version", kTusVersion);
        if (record)
            r.setHeader("Stream-Media-Id", record->id.toLatin1());
        return answerFromHead(std::move(r));
    }
    if (record && !record->complete() && !record->busy && record->expiresAt.isValid()
        && record->expiresAt <= QDateTime::currentDateTimeUtc()) {
        if (auto removed = m_store.remove(record->id); !removed.ok())
            return answerFromHead(tusError(500, removed.error().message));
        return answerFromHead(tusError(410, QStringLiteral("This upload expired and was deleted.")));
    }
    if (!record)
        return answerFromHead(tusError(404, QStringLiteral("No upload at this URL.")));
    if (request.method == "HEAD") {
        HttpResponse r;
        r.status = 200;
        r.setHeader("Upload-Offset", QByteArray::number(record->offset));
        r.setHeader("Upload-Length", QByteArray::number(record->length));
        r.setHeader("Cache-Control", "no-store");
        if (!record->metadataHeader.isEmpty())
            r.setHeader("Upload-Metadata", record->metadataHeader);
        addCommon(r, record.get());
        return answerFromHead(std::move(r));
    }
    if (request.method == "PATCH")
        return patch(request, record, {});
    if (request.method == "DELETE") {
        if (record->busy)
            return answerFromHead(tusError(423, QStringLiteral("The upload is receiving data; try again when that request ends.")));
        const QString id = record->id;
        if (auto s = m_store.remove(id); !s.ok())
            return answerFromHead(tusError(500, s.error().message));
        HttpResponse r;
        r.status = 204;
        r.setHeader("Stream-Media-Id", id.toLatin1());
        addCommon(r, nullptr);
        return answerFromHead(std::move(r));
    }
    HttpResponse r = tusError(405, QStringLiteral("The tus URL accepts OPTIONS, HEAD, PATCH and DELETE."));
    r.setHeader("Allow", "OPTIONS, HEAD, PATCH, DELETE");
    return answerFromHead(std::move(r));
}

Admission TusServer::patch(const HttpRequest &request, const std::shared_ptr<UploadRecord> &record,
                           const HeaderList &extraHeaders)
{
    // A refused PATCH's body is never read: the front door answers this, whatever
    // the body's size, and closes the connection after it.
    auto fail = [&](int status, const QString &message) {
        HttpResponse r = tusError(status, message);
        for (const auto &h : extraHeaders)
            r.setHeader(h.first, h.second);
        addCommon(r, record.get());
        return answerFromHead(std::move(r));
    };
    const bool creating = !extraHeaders.isEmpty();
    if (!creating && record->complete())
        return fail(403, QStringLiteral("This upload is complete and accepts no more data."));
    if (record->busy)
        return fail(423, QStringLiteral("The upload is receiving data on another request; try again when it ends."));
    if (request.header("content-type") != "application/offset+octet-stream")
        return fail(415, QStringLiteral("PATCH requests must have Content-Type application/offset+octet-stream."));
    const QByteArray given = request.header("upload-offset");
    const auto offset = given.isNull() && creating ? std::optional<qint64>(0) : parseDecimal(given);
    if (!offset)
        return fail(400, creating ? QStringLiteral("A creation with upload starts at Upload-Offset 0.")
                                  : QStringLiteral("PATCH requests must carry a valid Upload-Offset."));
    if (creating && *offset != 0)
        return fail(400, QStringLiteral("A creation with upload starts at Upload-Offset 0."));
    if (*offset != record->offset)
        return fail(409, QStringLiteral("Upload-Offset %1 does not match the upload's offset %2.")
                             .arg(*offset).arg(record->offset));
    if (request.framing == BodyFraming::Chunked)
        return fail(411, QStringLiteral("Send the chunk with a Content-Length; chunked transfer encoding is not accepted."));
    const qint64 bodyLength = request.contentLength;
    const qint64 remaining = record->length - record->offset;
    if (bodyLength > remaining)
        return fail(413, QStringLiteral("The chunk goes past Upload-Length (%1 bytes remain).").arg(remaining));
    if (m_config.enforceProductionChunkRules) {
        const bool last = record->offset + bodyLength == record->length;
        if (bodyLength > kMaxChunk)
            return fail(413, QStringLiteral("Chunks must be at most 209715200 bytes (200 MiB)."));
        if (!last && bodyLength < kMinChunk)
            return fail(400, QStringLiteral("Chunks must be at least 5242880 bytes (5 MiB) except the last one."));
        if (!last && bodyLength % kChunkGranule != 0)
            return fail(400, QStringLiteral("Chunks must be a multiple of 262144 bytes (256 KiB) except the last one."));
    }
    std::optional<tus::IncrementalDigest> digest;
    QByteArray expected;
    bool hashOnArrival = false;
    if (const QByteArray checksum = request.header("upload-checksum"); !checksum.isNull()) {
        auto parsed = tus::parseUploadChecksum(checksum);
        if (!parsed.ok())
            return fail(400, parsed.error().message);
        auto created = tus::IncrementalDigest::create(parsed->algorithm);
        if (!created.ok())
            return fail(500, created.error().message);
        digest.emplace(std::move(created).value());
        expected = parsed->digest;
        hashOnArrival = parsed->algorithm == tus::ChecksumAlgorithm::Crc32;
    }
    auto remote = m_store.takePatch(objectPatchIntake(record, bodyLength, request.header("upload-checksum"), extraHeaders));
    if (!remote.ok())
        return fail(remote.error().httpStatus ? remote.error().httpStatus : 500, remote.error().message);
    if (remote.value())
        return Admission::stream(std::move(remote).value(), remaining);
    // Read and write: a SHA/MD5 checksum is computed from the bytes read back (WrittenBytesFollower), a CRC-32 as they arrive.
    const int fd = ::open(QFile::encodeName(m_store.dataPath(record->id)).constData(), O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return fail(500, QStringLiteral("The host could not open the upload's storage."));
    return Admission::stream(std::make_unique<TusPatchSink>(*this, record, fd, std::move(digest), hashOnArrival, expected, extraHeaders),
                             remaining);
}

} // namespace deso::host
