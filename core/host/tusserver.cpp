#include "host/tusserver.h"

#include "host/tusheaders.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>

#include <optional>

#include <fcntl.h>
#include <unistd.h>

namespace deso::host {

namespace {

constexpr qint64 kMinChunk = 5242880;        // production: at least 5 MiB unless last
constexpr qint64 kMaxChunk = 209715200;      // production: at most 200 MiB
constexpr qint64 kChunkGranule = 256 * 1024; // production: multiple of 256 KiB unless last
constexpr qint64 kWritebackKick = 2 * 1024 * 1024;

const QByteArray kTusVersion = "1.0.0";

RawResponse tusError(int status, const QString &message)
{
    RawResponse r = RawResponse::jsonError(status, message);
    r.setHeader("Tus-Resumable", kTusVersion);
    return r;
}

} // namespace

void RawResponse::setHeader(const QByteArray &name, const QByteArray &value)
{
    for (auto &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0) {
            h.second = value;
            return;
        }
    }
    headers.emplaceBack(name, value);
}

RawResponse RawResponse::jsonError(int status, const QString &message)
{
    RawResponse r;
    r.status = status;
    r.body = jsonErrorBody(message);
    r.setHeader("Content-Type", "application/json");
    return r;
}

// Streams one PATCH (or creation-with-upload) body into the upload's data file
// at the recorded offset. Bytes land on disk before the offset advances; with a
// checksum nothing is recorded until the digest matches, and a mismatch
// truncates the file back, so "nothing written" holds.
class TusPatchSink final : public RequestBodySink {
public:
    TusPatchSink(TusServer &server, std::shared_ptr<UploadRecord> record, int fd,
                 std::optional<QCryptographicHash::Algorithm> algorithm, QByteArray expectedDigest,
                 HeaderList extraHeaders)
        : m_server(server), m_record(std::move(record)), m_fd(fd), m_start(m_record->offset),
          m_expected(std::move(expectedDigest)), m_extra(std::move(extraHeaders))
    {
        if (algorithm)
            m_hash.emplace(*algorithm);
        m_record->busy = true;
    }

    ~TusPatchSink() override
    {
        if (!m_finished)
            (void)finish(false);
    }

    Status write(const char *data, qint64 size) override
    {
        qint64 done = 0;
        while (done < size) {
            const ssize_t n = ::pwrite(m_fd, data + done, size_t(size - done), m_start + m_written + done);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                m_failed = true;
                return Error(QStringLiteral("tus.write"), QStringLiteral("The host could not write the upload to disk."), 500);
            }
            done += n;
        }
        if (m_hash)
            m_hash->addData(QByteArrayView(data, size));
        m_written += size;
        // Start writeback as the body streams in, so the fdatasync that must
        // precede the answer finds little left to flush (Linux-specific hint).
        if (m_written - m_kicked >= kWritebackKick) {
            ::sync_file_range(m_fd, m_start + m_kicked, m_written - m_kicked, SYNC_FILE_RANGE_WRITE);
            m_kicked = m_written;
        }
        // Without a checksum, partial bodies count: checkpoint now and then so a
        // crash mid-PATCH loses at most checkpointBytes.
        if (!m_hash && m_written - m_lastCheckpoint >= m_server.m_config.checkpointBytes) {
            if (auto s = commit(m_start + m_written); !s.ok())
                return s;
            m_lastCheckpoint = m_written;
        }
        return {};
    }

    RawResponse finish(bool bodyComplete) override
    {
        m_finished = true;
        m_record->busy = false;
        if (m_failed) {
            truncateBack(m_record->offset);
            ::close(m_fd);
            return tusError(500, QStringLiteral("The host could not write the upload to disk."));
        }
        if (m_hash) {
            if (!bodyComplete || m_hash->result() != m_expected) {
                truncateBack(m_start);
                ::close(m_fd);
                RawResponse r = tusError(460, QStringLiteral("The Upload-Checksum does not match the received bytes; nothing was written."));
                m_server.addCommon(r, m_record.get());
                return r;
            }
        }
        Status s = commit(m_start + m_written);
        ::close(m_fd);
        if (!s.ok())
            return tusError(500, s.error().message);
        RawResponse r;
        r.status = m_extra.isEmpty() ? 204 : 200; // creation answers 200 like the node
        r.headers = m_extra;
        r.setHeader("Upload-Offset", QByteArray::number(m_record->offset));
        m_server.addCommon(r, m_record.get());
        if (m_record->complete() && m_server.m_onComplete)
            m_server.m_onComplete(m_record);
        return r;
    }

private:
    Status commit(qint64 newOffset)
    {
        if (::fdatasync(m_fd) != 0)
            return Error(QStringLiteral("tus.sync"), QStringLiteral("The host could not flush the upload to disk."), 500);
        m_record->offset = newOffset;
        m_record->expiresAt = QDateTime::currentDateTimeUtc().addSecs(m_server.m_config.expirySeconds);
        return m_server.m_store.save(*m_record);
    }

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
    qint64 m_kicked = 0;
    std::optional<QCryptographicHash> m_hash;
    QByteArray m_expected;
    HeaderList m_extra;
    bool m_finished = false;
    bool m_failed = false;
};

TusServer::TusServer(UploadStore &store, TusConfig config, CompletionHandler onComplete)
    : m_store(store), m_config(config), m_onComplete(std::move(onComplete))
{
}

void TusServer::addCommon(RawResponse &r, const UploadRecord *record) const
{
    r.setHeader("Tus-Resumable", kTusVersion);
    if (record) {
        r.setHeader("Stream-Media-Id", record->id.toLatin1());
        if (!record->complete() && record->expiresAt.isValid())
            r.setHeader("Upload-Expires", httpDate(record->expiresAt));
    }
}

RawResponse TusServer::options() const
{
    RawResponse r;
    r.status = 204;
    r.setHeader("Tus-Resumable", kTusVersion);
    r.setHeader("Tus-Version", kTusVersion);
    r.setHeader("Tus-Extension", "creation,creation-with-upload,expiration,checksum,termination");
    r.setHeader("Tus-Max-Size", QByteArray::number(m_config.maxSize));
    r.setHeader("Tus-Checksum-Algorithm", "sha1,sha256,md5");
    return r;
}

RawPlan TusServer::create(const RawRequestHead &head, const QByteArray &baseUrl)
{
    RawPlan plan;
    const QByteArray resumable = head.header("tus-resumable");
    if (!resumable.isNull() && resumable != kTusVersion) {
        plan.response = tusError(412, QStringLiteral("Tus-Resumable must be 1.0.0."));
        plan.response.setHeader("Tus-Version", kTusVersion);
        return plan;
    }
    const QByteArray lengthText = head.header("upload-length");
    if (lengthText.isEmpty()) {
        plan.response = tusError(400, QStringLiteral("UploadVideo: Must provide Upload-Length header"));
        return plan;
    }
    qint64 length = 0;
    if (!parseTusNumber(lengthText, &length)) {
        plan.response = tusError(400, QStringLiteral("UploadVideo: Unable to convert Upload-Length header to int for validation: %1")
                                          .arg(QString::fromLatin1(lengthText.left(40))));
        return plan;
    }
    if (length > m_config.maxSize) {
        plan.response = tusError(400, QStringLiteral("UploadVideo: Files must be less than 250MB"));
        return plan;
    }
    const QByteArray metadataHeader = head.header("upload-metadata");
    auto metadata = parseUploadMetadata(metadataHeader);
    if (!metadata.ok()) {
        plan.response = tusError(400, metadata.error().message);
        return plan;
    }
    auto created = m_store.create(length, metadataHeader, metadata.value(),
                                  QDateTime::currentDateTimeUtc().addSecs(m_config.expirySeconds));
    if (!created.ok()) {
        plan.response = tusError(500, created.error().message);
        return plan;
    }
    const auto record = created.value();
    HeaderList extra{
        {"Location", baseUrl + tusPathPrefix() + record->token},
        {"Access-Control-Expose-Headers", "Location, Stream-Media-Id"},
    };

    const QByteArray contentLength = head.header("content-length");
    qint64 bodyLength = 0;
    if (!contentLength.isNull() && !parseTusNumber(contentLength, &bodyLength)) {
        plan.response = tusError(400, QStringLiteral("Content-Length is not a valid number."));
        plan.response.closeConnection = true;
        return plan;
    }
    if (bodyLength > 0) {
        if (head.header("content-type") != "application/offset+octet-stream") {
            plan.response = tusError(415, QStringLiteral("An upload body must have Content-Type application/offset+octet-stream."));
            plan.response.closeConnection = true;
            return plan;
        }
        extra[1].second = "Location, Stream-Media-Id, Upload-Offset, Upload-Expires, Tus-Resumable";
        return patch(head, record, extra);
    }
    plan.response.status = 200;
    plan.response.headers = extra;
    addCommon(plan.response, record.get());
    if (record->complete() && m_onComplete)
        m_onComplete(record); // an empty upload is finished at creation
    return plan;
}

RawPlan TusServer::handle(const RawRequestHead &head, const QByteArray &token)
{
    RawPlan plan;
    if (head.method == "OPTIONS") {
        plan.response = options();
        return plan;
    }
    auto record = m_store.byToken(token);
    if (head.header("tus-resumable") != kTusVersion) {
        plan.response = tusError(412, QStringLiteral("Tus-Resumable must be 1.0.0."));
        plan.response.setHeader("Tus-Version", kTusVersion);
        if (record)
            plan.response.setHeader("Stream-Media-Id", record->id.toLatin1());
        plan.response.closeConnection = head.method == "PATCH";
        return plan;
    }
    if (record && !record->complete() && !record->busy && record->expiresAt.isValid()
        && record->expiresAt <= QDateTime::currentDateTimeUtc()) {
        (void)m_store.remove(record->id);
        plan.response = tusError(410, QStringLiteral("This upload expired and was deleted."));
        plan.response.closeConnection = head.method == "PATCH";
        return plan;
    }
    if (!record) {
        plan.response = tusError(404, QStringLiteral("No upload at this URL."));
        plan.response.closeConnection = head.method == "PATCH";
        return plan;
    }
    if (head.method == "HEAD") {
        plan.response.status = 200;
        plan.response.setHeader("Upload-Offset", QByteArray::number(record->offset));
        plan.response.setHeader("Upload-Length", QByteArray::number(record->length));
        plan.response.setHeader("Cache-Control", "no-store");
        if (!record->metadataHeader.isEmpty())
            plan.response.setHeader("Upload-Metadata", record->metadataHeader);
        addCommon(plan.response, record.get());
        return plan;
    }
    if (head.method == "PATCH")
        return patch(head, record, {});
    if (head.method == "DELETE") {
        if (record->busy) {
            plan.response = tusError(423, QStringLiteral("The upload is receiving data; try again when that request ends."));
            return plan;
        }
        const QString id = record->id;
        if (auto s = m_store.remove(id); !s.ok()) {
            plan.response = tusError(500, s.error().message);
            return plan;
        }
        plan.response.status = 204;
        plan.response.setHeader("Stream-Media-Id", id.toLatin1());
        addCommon(plan.response, nullptr);
        return plan;
    }
    plan.response = tusError(405, QStringLiteral("The tus URL accepts OPTIONS, HEAD, PATCH and DELETE."));
    plan.response.setHeader("Allow", "OPTIONS, HEAD, PATCH, DELETE");
    plan.response.closeConnection = true;
    return plan;
}

RawPlan TusServer::patch(const RawRequestHead &head, const std::shared_ptr<UploadRecord> &record,
                         const HeaderList &extraHeaders)
{
    RawPlan plan;
    auto fail = [&](int status, const QString &message) {
        plan.response = tusError(status, message);
        for (const auto &h : extraHeaders)
            plan.response.setHeader(h.first, h.second);
        addCommon(plan.response, record.get());
        // The unread body may follow; closing after the answer keeps framing safe.
        plan.response.closeConnection = true;
        return std::move(plan);
    };
    if (extraHeaders.isEmpty() && record->complete())
        return fail(403, QStringLiteral("This upload is complete and accepts no more data."));
    if (record->busy)
        return fail(423, QStringLiteral("The upload is receiving data on another request; try again when it ends."));
    if (head.header("content-type") != "application/offset+octet-stream")
        return fail(415, QStringLiteral("PATCH requests must have Content-Type application/offset+octet-stream."));
    qint64 offset = 0;
    if (extraHeaders.isEmpty()) {
        if (!parseTusNumber(head.header("upload-offset"), &offset))
            return fail(400, QStringLiteral("PATCH requests must carry a valid Upload-Offset."));
    } else {
        const QByteArray given = head.header("upload-offset");
        if (!given.isNull() && (!parseTusNumber(given, &offset) || offset != 0))
            return fail(400, QStringLiteral("A creation with upload starts at Upload-Offset 0."));
    }
    if (offset != record->offset)
        return fail(409, QStringLiteral("Upload-Offset %1 does not match the upload's offset %2.")
                             .arg(offset).arg(record->offset));
    if (head.hasHeader("transfer-encoding"))
        return fail(411, QStringLiteral("Send the chunk with a Content-Length; chunked transfer encoding is not accepted."));
    qint64 bodyLength = 0;
    const QByteArray contentLength = head.header("content-length");
    if (!contentLength.isNull() && !parseTusNumber(contentLength, &bodyLength))
        return fail(400, QStringLiteral("Content-Length is not a valid number."));
    if (bodyLength > record->length - record->offset)
        return fail(413, QStringLiteral("The chunk goes past Upload-Length (%1 bytes remain).")
                             .arg(record->length - record->offset));
    if (m_config.enforceProductionChunkRules) {
        const bool last = record->offset + bodyLength == record->length;
        if (bodyLength > kMaxChunk)
            return fail(413, QStringLiteral("Chunks must be at most 209715200 bytes (200 MiB)."));
        if (!last && bodyLength < kMinChunk)
            return fail(400, QStringLiteral("Chunks must be at least 5242880 bytes (5 MiB) except the last one."));
        if (!last && bodyLength % kChunkGranule != 0)
            return fail(400, QStringLiteral("Chunks must be a multiple of 262144 bytes (256 KiB) except the last one."));
    }
    std::optional<QCryptographicHash::Algorithm> algorithm;
    QByteArray expected;
    if (const QByteArray checksum = head.header("upload-checksum"); !checksum.isNull()) {
        auto parsed = parseUploadChecksum(checksum);
        if (!parsed.ok())
            return fail(400, parsed.error().message);
        algorithm = parsed->algorithm;
        expected = parsed->digest;
    }
    const int fd = ::open(QFile::encodeName(m_store.dataPath(record->id)).constData(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(500, QStringLiteral("The host could not open the upload's storage."));
    plan.sink = std::make_unique<TusPatchSink>(*this, record, fd, algorithm, expected, extraHeaders);
    plan.bodyLength = bodyLength;
    return plan;
}

} // namespace deso::host
