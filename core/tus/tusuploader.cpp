#include "tus/tusuploader.h"

#include "common/decimal.h"
#include "tus/tusprotocol.h"

#include "node/httperror.h"
#include "tus/filerangedevice.h"
#include "tus/incrementaldigest.h"
#include "tus/socketpatchsender.h"

#include <QFile>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QMimeDatabase>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QtConcurrent/QtConcurrentRun>

namespace deso::tus {

namespace {

constexpr qint64 kSpeedWindowMs = 5000;
constexpr qint64 kProgressIntervalMs = 100;

Error tusError(const char *code, const QString &message, int httpStatus = 0)
{
    return Error(QString::fromLatin1(code), message, httpStatus);
}

std::optional<qint64> headerOffset(const HttpAnswer &answer, const char *name)
{
    if (!answer.hasHeader(name))
        return std::nullopt;
    // Read as strictly as the host reads what we send (common/decimal.h).
    return parseDecimal(answer.header(name).trimmed());
}

QStringList headerList(const HttpAnswer &answer, const char *name)
{
    QStringList items;
    for (const QByteArray &item : tus::parseList(answer.header(name)))
        items << QString::fromLatin1(item);
    return items;
}

// Network errors and the statuses tus-js-client retries on: the server is busy (423),
// disagrees about the offset (409), rejected a checksum (460) or failed internally (5xx).
bool retriable(const HttpAnswer &answer)
{
    const int status = answer.status;
    if (status == 0)
        return true;
    return status == 409 || status == 423 || status == 460 || status >= 500;
}

bool succeeded(const HttpAnswer &answer)
{
    return answer.status >= 200 && answer.status < 300 && answer.networkError.isEmpty();
}

// A QNAM reply in the shape of the socket sender's answers: one handler reads both.
HttpAnswer answerOf(const QNetworkReply *reply, const QByteArray &body)
{
    HttpAnswer answer;
    answer.status = node::httpStatus(reply);
    answer.reason = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toByteArray();
    for (const auto &pair : reply->rawHeaderPairs())
        answer.headers.append({pair.first, pair.second});
    answer.body = body;
    // QNAM also flags 4xx/5xx answers as errors; only a broken exchange counts here.
    if (!node::replySucceeded(reply) && (answer.status == 0 || (answer.status >= 200 && answer.status < 300)))
        answer.networkError = reply->errorString();
    return answer;
}

// Reads the range in bounded pieces: the checksum never needs the chunk in memory.
// Runs on a pool thread, usually while the previous chunk is on the wire.
TusUploader::ChunkChecksum checksumOfRange(const QString &path, qint64 offset, qint64 length, const QString &algorithm,
                                           const std::shared_ptr<std::atomic<bool>> &stop)
{
    TusUploader::ChunkChecksum out;
    const auto algo = checksumAlgorithm(algorithm.toLatin1());
    if (!algo) {
        out.error = tusError("tus.checksum", QStringLiteral("The checksum algorithm %1 is not supported.").arg(algorithm));
        return out;
    }
    auto digest = IncrementalDigest::create(*algo);
    if (!digest.ok()) {
        out.error = digest.error();
        return out;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        out.error = tusError("tus.file_unreadable", QStringLiteral("Cannot read the file %1.").arg(path));
        return out;
    }
    // In slices, so that a digest no longer wanted stops soon.
    constexpr qint64 kSlice = 4 * 1024 * 1024;
    Status added;
    for (qint64 done = 0; added && done < length; done += kSlice) {
        if (stop && stop->load(std::memory_order_relaxed)) {
            out.error = tusError("tus.checksum", QStringLiteral("The checksum was not needed."));
            return out;
        }
        added = digest->addFileRange(file.handle(), offset + done, qMin(kSlice, length - done));
    }
    if (!added) {
        out.error = added.error().code == QLatin1String("tus.file_unreadable")
            ? tusError("tus.file_unreadable", QStringLiteral("Cannot read the file %1 (did it change during the upload?).").arg(path))
            : added.error();
        return out;
    }
    auto raw = digest->result();
    if (!raw.ok()) {
        out.error = raw.error();
        return out;
    }
    out.header = formatUploadChecksum(algorithm.toLatin1(), raw.value());
    return out;
}

} // namespace

TusUploader::TusUploader(QUrl creationEndpoint, QString filePath, TusOptions options, QObject *parent)
    : QObject(parent),
      m_endpoint(std::move(creationEndpoint)),
      m_filePath(std::move(filePath)),
      m_options(std::move(options)),
      m_store(m_options.storeFile.isEmpty() ? TusUploadStore::defaultStoreFile() : m_options.storeFile),
      m_nam(new QNetworkAccessManager(this))
{
    qRegisterMetaType<deso::tus::TusUploadResult>();
    qRegisterMetaType<deso::Error>();
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, [this] {
        if (m_state != State::Retrying)
            return;
        if (m_uploadUrl.isEmpty())
            create();
        else
            sync();
    });
}

TusUploader::~TusUploader()
{
    ++m_checksumGeneration;
    dropPrefetchedChecksum();
    abortCurrent();
}

Status TusUploader::validateChunkSize(qint64 chunkSize)
{
    if (chunkSize < kMinChunkSize)
        return tusError("tus.bad_chunk_size",
                        QStringLiteral("The chunk size %1 is below the minimum of 5 MiB (5242880 bytes).").arg(chunkSize));
    if (chunkSize > kMaxChunkSize)
        return tusError("tus.bad_chunk_size",
                        QStringLiteral("The chunk size %1 is above the maximum of 200 MiB (209715200 bytes).").arg(chunkSize));
    if (chunkSize % kChunkGranule != 0)
        return tusError("tus.bad_chunk_size",
                        QStringLiteral("The chunk size %1 is not a multiple of 256 KiB (262144 bytes).").arg(chunkSize));
    return {};
}

Status TusUploader::validateChecksumAlgorithm(QByteArrayView name)
{
    if (kPreferredChecksumAlgorithms.contains(name.toByteArray().toLower()))
        return {};
    return tusError("tus.checksum_algorithm", QStringLiteral("The checksum algorithm \"%1\" is not one of %2.")
                                                  .arg(QString::fromUtf8(name), QString::fromLatin1(kPreferredChecksumAlgorithms.join(", "))));
}

void TusUploader::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    emit stateChanged(state);
}

void TusUploader::noteStored(const Status &stored)
{
    if (!stored)
        emit storeFailed(stored.error());
}

void TusUploader::fail(const Error &error)
{
    ++m_checksumGeneration;
    dropPrefetchedChecksum();
    abortCurrent();
    m_retryTimer.stop();
    setState(State::Failed);
    emit failed(error);
}

void TusUploader::start()
{
    if (m_state != State::Idle && m_state != State::Failed && m_state != State::Cancelled)
        return;
    const QFileInfo info(m_filePath);
    if (!info.exists() || !info.isFile() || !info.isReadable()) {
        fail(tusError("tus.file_unreadable", QStringLiteral("Cannot read the file %1.").arg(m_filePath)));
        return;
    }
    if (const Status chunk = validateChunkSize(m_options.chunkSize); !chunk) {
        fail(chunk.error());
        return;
    }
    m_size = info.size();
    m_fingerprint = TusUploadStore::fingerprint(m_filePath);
    m_offset = 0;
    m_failedAttempts = 0;
    m_resumed = false;
    m_uploadUrl.clear();
    m_clock.start();
    m_samples.clear();
    setState(State::Creating);
    if (m_discovered) {
        createOrContinue();
        return;
    }
    // Before a PATCH can go, its chunk must be hashed (issue 15: ~35 ms for 50 MiB on an
    // idle machine, far more on a loaded one): start with the first chunk while discovery
    // and creation run, in the algorithm servers with the checksum extension offer first.
    // If the server offers another one or none, this digest is simply not used.
    if (m_options.useChecksum)
        prefetchChecksum(0, QString::fromLatin1(m_options.checksumAlgorithm.isEmpty() ? kPreferredChecksumAlgorithms.constFirst()
                                                                                       : m_options.checksumAlgorithm.toLower()));
    discover();
}

void TusUploader::pause()
{
    if (m_state != State::Creating && m_state != State::Uploading && m_state != State::Retrying)
        return;
    ++m_checksumGeneration;
    dropPrefetchedChecksum();
    abortCurrent();
    m_retryTimer.stop();
    setState(State::Paused);
    reportProgress(m_offset, true);
}

void TusUploader::resume()
{
    if (m_state != State::Paused)
        return;
    m_failedAttempts = 0;
    m_samples.clear();
    if (m_uploadUrl.isEmpty()) {
        setState(State::Creating);
        if (m_discovered)
            createOrContinue();
        else
            discover();
    } else {
        // The server is the truth about the offset: ask it before sending more.
        setState(State::Uploading);
        sync();
    }
}

void TusUploader::cancel()
{
    if (m_state == State::Finished || m_state == State::Cancelled || m_state == State::Cancelling
        || m_state == State::Failed)
        return;
    ++m_checksumGeneration;
    dropPrefetchedChecksum();
    abortCurrent();
    m_retryTimer.stop();
    if (!m_uploadUrl.isEmpty() && terminationAllowed()) {
        setState(State::Cancelling);
        terminate();
        return;
    }
    noteStored(m_store.forget(m_fingerprint, m_endpoint));
    setState(State::Cancelled);
    emit cancelled();
}

bool TusUploader::terminationAllowed() const
{
    // Send DELETE when the server announced termination, or when it announced nothing at
    // all (the node's endpoint answers no OPTIONS): a DELETE it does not know is harmless.
    return !m_serverAnsweredOptions || m_extensions.contains(QStringLiteral("termination"));
}

QString TusUploader::checksumAlgorithm() const
{
    if (!m_options.useChecksum || !m_extensions.contains(QStringLiteral("checksum")))
        return {};
    if (const QString asked = QString::fromLatin1(m_options.checksumAlgorithm.toLower());
        !asked.isEmpty() && m_checksumAlgorithms.contains(asked))
        return asked;
    for (const QByteArray &preferred : kPreferredChecksumAlgorithms) {
        if (m_checksumAlgorithms.contains(QString::fromLatin1(preferred)))
            return QString::fromLatin1(preferred);
    }
    return {};
}

QNetworkRequest TusUploader::tusRequest(const QUrl &url) const
{
    QNetworkRequest request(url);
    request.setRawHeader("Tus-Resumable", kVersion);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    request.setTransferTimeout(m_options.stallTimeoutMs);
    return request;
}

QNetworkReply *TusUploader::send(const QNetworkRequest &request, const QByteArray &verb, QIODevice *body, Step step)
{
    ++m_requestCounts[verb];
    // HEAD must go as QNAM's own HEAD operation: sent as a custom verb, QNAM waits for the
    // Content-Length bytes a HEAD answer announces but never carries, and hangs.
    QNetworkReply *reply = verb == "HEAD" ? m_nam->head(request) : m_nam->sendCustomRequest(request, verb, body);
    if (body)
        body->setParent(reply);
    m_reply = reply;
    m_replyVerb = verb;
    m_replyClock.start();
    m_replyBodyDescription = body ? QStringLiteral("%1 bytes of %2").arg(body->size()).arg(QFileInfo(m_filePath).fileName())
                                  : QString();
    connect(reply, &QNetworkReply::finished, this, [this, reply, step] { onReplyFinished(reply, step); });
    return reply;
}

void TusUploader::abortCurrent()
{
    m_refusedPatch.reset();
    if (m_socketSend) {
        SocketPatchSender *sender = m_socketSend;
        m_socketSend = nullptr;
        sender->abort();
        sender->deleteLater();
    }
    if (!m_reply)
        return;
    QNetworkReply *reply = m_reply;
    m_reply = nullptr;
    disconnect(reply, nullptr, this, nullptr);
    reply->abort();
    reply->deleteLater();
}

void TusUploader::discover()
{
    send(tusRequest(m_endpoint), "OPTIONS", nullptr, Step::Discover);
}

void TusUploader::createOrContinue()
{
    if (m_options.resume) {
        const std::optional<StoredUpload> stored = m_store.find(m_fingerprint, m_endpoint);
        if (stored && stored->size == m_size) {
            m_uploadUrl = stored->uploadUrl;
            m_resumed = true;
            emit uploadUrlChanged(m_uploadUrl);
            if (!stored->mediaId.isEmpty() && stored->mediaId != m_mediaId) {
                m_mediaId = stored->mediaId;
                emit mediaIdChanged(m_mediaId);
            }
            setState(State::Uploading);
            sync();
            return;
        }
    }
    create();
}

QByteArray TusUploader::metadataHeader() const
{
    QMap<QString, QByteArray> pairs;
    const QFileInfo info(m_filePath);
    pairs.insert(QStringLiteral("filename"), info.fileName().toUtf8());
    pairs.insert(QStringLiteral("name"), info.fileName().toUtf8());
    pairs.insert(QStringLiteral("filetype"), QMimeDatabase().mimeTypeForFile(info).name().toUtf8());
    for (auto it = m_options.metadata.cbegin(); it != m_options.metadata.cend(); ++it)
        pairs.insert(it.key(), it.value().toUtf8());
    return formatUploadMetadata(pairs);
}

void TusUploader::create()
{
    setState(State::Creating);
    m_uploadUrl.clear();
    m_offset = 0;
    QNetworkRequest request = tusRequest(m_endpoint);
    request.setRawHeader("Upload-Length", QByteArray::number(m_size));
    request.setRawHeader("Upload-Metadata", metadataHeader());
    QIODevice *body = nullptr;
    if (m_options.creationWithUpload && m_size > 0
        && m_extensions.contains(QStringLiteral("creation-with-upload"))) {
        const qint64 length = qMin(m_options.chunkSize, m_size);
        auto *range = new FileRangeDevice(m_filePath, 0, length);
        if (!range->open(QIODevice::ReadOnly)) {
            delete range;
            fail(tusError("tus.file_unreadable", QStringLiteral("Cannot read the file %1.").arg(m_filePath)));
            return;
        }
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/offset+octet-stream"));
        request.setHeader(QNetworkRequest::ContentLengthHeader, length);
        body = range;
    } else {
        request.setHeader(QNetworkRequest::ContentLengthHeader, 0);
        // The first chunk's digest is computed while the server creates the upload
        // (which a host that syncs its records to disk takes a while to do).
        if (const QString algorithm = checksumAlgorithm(); !algorithm.isEmpty())
            prefetchChecksum(0, algorithm);
    }
    QNetworkReply *reply = send(request, "POST", body, Step::Create);
    if (body)
        connect(reply, &QNetworkReply::uploadProgress, this, [this](qint64 sent, qint64) { reportProgress(sent, false); });
}

void TusUploader::sync()
{
    send(tusRequest(m_uploadUrl), "HEAD", nullptr, Step::Sync);
}

void TusUploader::sendNextChunk()
{
    if (m_offset >= m_size) {
        complete();
        return;
    }
    const qint64 length = qMin(m_options.chunkSize, m_size - m_offset);
    const QString algorithm = checksumAlgorithm();
    if (algorithm.isEmpty()) {
        sendPatch(length, {});
        return;
    }
    // Hashed off the calling thread (a 50 MiB chunk would stall a UI), and usually
    // already done: the digest of chunk N+1 is computed while chunk N is on the wire.
    const qint64 offset = m_offset;
    QFuture<ChunkChecksum> checksum = takeChecksum(offset, length, algorithm);
    const quint64 generation = ++m_checksumGeneration;
    auto sendWith = [this, generation, offset, length, algorithm](const ChunkChecksum &computed) {
        if (generation != m_checksumGeneration || m_state != State::Uploading || offset != m_offset)
            return;
        if (!computed.error.code.isEmpty()) {
            fail(computed.error);
            return;
        }
        sendPatch(length, computed.header);
        if (m_reply || m_socketSend)
            prefetchChecksum(offset + length, algorithm);
    };
    if (checksum.isFinished()) {
        sendWith(checksum.result());
        return;
    }
    auto *watcher = new QFutureWatcher<ChunkChecksum>(this);
    connect(watcher, &QFutureWatcher<ChunkChecksum>::finished, this, [watcher, sendWith] {
        watcher->deleteLater();
        sendWith(watcher->result());
    });
    watcher->setFuture(checksum);
}

QFuture<TusUploader::ChunkChecksum> TusUploader::takeChecksum(qint64 offset, qint64 length, const QString &algorithm)
{
    if (m_nextChecksum && m_nextChecksum->offset == offset && m_nextChecksum->length == length
        && m_nextChecksum->algorithm == algorithm)
        return std::exchange(m_nextChecksum, std::nullopt)->digest;
    dropPrefetchedChecksum();
    return QtConcurrent::run(checksumOfRange, m_filePath, offset, length, algorithm, nullptr);
}

void TusUploader::prefetchChecksum(qint64 offset, const QString &algorithm)
{
    const qint64 length = qMin(m_options.chunkSize, m_size - offset);
    if (length <= 0)
        return;
    if (m_nextChecksum && m_nextChecksum->offset == offset && m_nextChecksum->length == length
        && m_nextChecksum->algorithm == algorithm)
        return; // already on its way
    dropPrefetchedChecksum();
    auto stop = std::make_shared<std::atomic<bool>>(false);
    m_nextChecksum = PendingChecksum{offset, length, algorithm,
                                     QtConcurrent::run(checksumOfRange, m_filePath, offset, length, algorithm, stop), stop};
}

void TusUploader::dropPrefetchedChecksum()
{
    if (m_nextChecksum && m_nextChecksum->stop)
        m_nextChecksum->stop->store(true, std::memory_order_relaxed);
    m_nextChecksum.reset();
}

void TusUploader::sendPatch(qint64 length, const QByteArray &checksumHeader)
{
    if (SocketPatchSender::canSend(m_uploadUrl)) {
        sendPatchOverSocket(length, checksumHeader);
        return;
    }
    auto *range = new FileRangeDevice(m_filePath, m_offset, length);
    if (!range->open(QIODevice::ReadOnly)) {
        delete range;
        fail(tusError("tus.file_unreadable",
                      QStringLiteral("Cannot read the file %1 (did it change during the upload?).").arg(m_filePath)));
        return;
    }
    QNetworkRequest request = tusRequest(m_uploadUrl);
    request.setRawHeader("Upload-Offset", QByteArray::number(m_offset));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/offset+octet-stream"));
    request.setHeader(QNetworkRequest::ContentLengthHeader, length);
    if (!checksumHeader.isEmpty())
        request.setRawHeader("Upload-Checksum", checksumHeader);
    QNetworkReply *reply = send(request, "PATCH", range, Step::Patch);
    const qint64 base = m_offset;
    connect(reply, &QNetworkReply::uploadProgress, this,
            [this, base](qint64 sent, qint64) { reportProgress(base + sent, false); });
}

void TusUploader::sendPatchOverSocket(qint64 length, const QByteArray &checksumHeader)
{
    node::HeaderList headers{{"Tus-Resumable", kVersion},
                             {"Upload-Offset", QByteArray::number(m_offset)},
                             {"Content-Type", "application/offset+octet-stream"}};
    if (!checksumHeader.isEmpty())
        headers.append({"Upload-Checksum", checksumHeader});
    auto *sender = new SocketPatchSender("PATCH", m_uploadUrl, headers, m_filePath, m_offset, length,
                                         m_options.stallTimeoutMs, this);
    ++m_requestCounts["PATCH"];
    m_socketSend = sender;
    m_replyVerb = "PATCH";
    m_replyClock.start();
    m_replyBodyDescription = QStringLiteral("%1 bytes of %2").arg(length).arg(QFileInfo(m_filePath).fileName());
    headers.append({"Content-Length", QByteArray::number(length)});
    const qint64 base = m_offset;
    connect(sender, &SocketPatchSender::uploadProgress, this,
            [this, base](qint64 sent, qint64) { reportProgress(base + sent, false); });
    connect(sender, &SocketPatchSender::finished, this, [this, sender, headers](const HttpAnswer &answer) {
        sender->deleteLater();
        if (sender != m_socketSend)
            return;
        m_socketSend = nullptr;
        if (answer.fileUnreadable) {
            fail(tusError("tus.file_unreadable",
                          QStringLiteral("Cannot read the file %1 (did it change during the upload?).").arg(m_filePath)));
            return;
        }
        emit exchanged(answer.toExchange(m_replyVerb, m_uploadUrl, headers, m_replyBodyDescription, m_replyClock.elapsed()));
        handleAnswer(answer, Step::Patch);
    });
    sender->start();
}

void TusUploader::terminate()
{
    send(tusRequest(m_uploadUrl), "DELETE", nullptr, Step::Terminate);
}

void TusUploader::complete()
{
    noteStored(m_store.forget(m_fingerprint, m_endpoint));
    reportProgress(m_size, true);
    setState(State::Finished);
    TusUploadResult result;
    result.uploadUrl = m_uploadUrl;
    result.mediaId = m_mediaId;
    result.size = m_size;
    result.resumed = m_resumed;
    emit finished(result);
}

void TusUploader::captureMediaId(const HttpAnswer &answer)
{
    const QByteArray id = answer.header("Stream-Media-Id").trimmed();
    if (id.isEmpty() || QString::fromLatin1(id) == m_mediaId)
        return;
    m_mediaId = QString::fromLatin1(id);
    emit mediaIdChanged(m_mediaId);
    if (!m_uploadUrl.isEmpty() && m_state != State::Cancelling)
        noteStored(m_store.remember(m_fingerprint, m_endpoint,
                                    {m_uploadUrl, m_mediaId, m_size, QDateTime::currentDateTimeUtc()}));
}

void TusUploader::retryLater(const Error &cause)
{
    ++m_failedAttempts;
    if (m_failedAttempts > m_options.maxRetries) {
        Error error = cause;
        error.message = QStringLiteral("%1 Gave up after %2 attempts.").arg(cause.message).arg(m_failedAttempts);
        fail(error);
        return;
    }
    const QList<int> &delays = m_options.retryDelaysMs;
    const int delay = delays.isEmpty() ? 0 : delays.at(qMin<qsizetype>(m_failedAttempts - 1, delays.size() - 1));
    setState(State::Retrying);
    emit retrying(m_failedAttempts, delay, cause);
    m_samples.clear();
    m_retryTimer.start(delay);
}

void TusUploader::retryOrFail(const HttpAnswer &answer, const Error &error)
{
    if (answer.status == 507) {
        // The host's disk or quota is full: nothing is wrong with the upload, it
        // waits (with the host's sentence) until space returns, then goes on.
        setState(State::Retrying);
        emit retrying(m_failedAttempts, m_options.storageFullRetryMs, error);
        m_samples.clear();
        m_retryTimer.start(m_options.storageFullRetryMs);
        return;
    }
    if (retriable(answer))
        retryLater(error);
    else
        fail(error);
}

void TusUploader::startOver()
{
    noteStored(m_store.forget(m_fingerprint, m_endpoint));
    m_resumed = false;
    create();
}

void TusUploader::continueFrom(qint64 offset)
{
    // Progress on the server means the connection works again: the retry budget restarts.
    if (offset > m_offset)
        m_failedAttempts = 0;
    m_offset = offset;
    setState(State::Uploading);
    reportProgress(m_offset, true);
    sendNextChunk();
}

void TusUploader::onReplyFinished(QNetworkReply *reply, Step step)
{
    reply->deleteLater();
    if (reply != m_reply)
        return;
    m_reply = nullptr;
    const QByteArray body = reply->readAll();
    emit exchanged(node::recordExchange(reply, m_replyVerb, body, m_replyClock.elapsed(), m_replyBodyDescription));
    handleAnswer(answerOf(reply, body), step);
}

Error TusUploader::answerError(const HttpAnswer &answer, const QString &what) const
{
    const QUrl url = m_uploadUrl.isEmpty() ? m_endpoint : m_uploadUrl;
    return node::answerError(answer.status, QString::fromLatin1(answer.reason), answer.body, answer.networkError, url, what);
}

void TusUploader::handleAnswer(const HttpAnswer &answer, Step step)
{
    captureMediaId(answer);
    const int status = answer.status;
    const bool ok = succeeded(answer);

    switch (step) {
    case Step::Discover: {
        // Any answer, or none, is fine: OPTIONS only tells us which extensions exist.
        m_discovered = true;
        if (ok && answer.hasHeader("Tus-Version")) {
            m_serverAnsweredOptions = true;
            m_extensions = headerList(answer, "Tus-Extension");
            m_checksumAlgorithms = headerList(answer, "Tus-Checksum-Algorithm");
        }
        if (m_nextChecksum && m_nextChecksum->algorithm != checksumAlgorithm())
            dropPrefetchedChecksum(); // hashed ahead for nothing: give its CPU back to the upload
        createOrContinue();
        return;
    }
    case Step::Create: {
        if (!ok) {
            retryOrFail(answer, answerError(answer, QStringLiteral("Creating the upload")));
            return;
        }
        const QByteArray location = answer.header("Location").trimmed();
        if (location.isEmpty()) {
            fail(tusError("tus.protocol", QStringLiteral("The server created the upload but sent no Location header."), status));
            return;
        }
        m_uploadUrl = m_endpoint.resolved(QUrl::fromEncoded(location));
        emit uploadUrlChanged(m_uploadUrl);
        noteStored(m_store.remember(m_fingerprint, m_endpoint, {m_uploadUrl, m_mediaId, m_size, QDateTime::currentDateTimeUtc()}));
        // creation-with-upload may already have taken bytes (m_offset is 0 here).
        const auto offset = headerOffset(answer, "Upload-Offset");
        continueFrom(offset && *offset <= m_size ? *offset : m_offset);
        return;
    }
    case Step::Sync: {
        if (std::optional<Error> refusal = std::exchange(m_refusedPatch, std::nullopt)) {
            // Asked after a 403 to a PATCH: only a server that holds every byte lets us finish.
            const auto offset = headerOffset(answer, "Upload-Offset");
            if (ok && offset && *offset == m_size) {
                continueFrom(*offset);
                return;
            }
            noteStored(m_store.forget(m_fingerprint, m_endpoint));
            fail(*refusal);
            return;
        }
        if (status == 404 || status == 410 || status == 403) {
            startOver(); // the stored or current upload is gone on the server
            return;
        }
        if (!ok) {
            retryOrFail(answer, answerError(answer, QStringLiteral("Checking the upload offset")));
            return;
        }
        const auto offset = headerOffset(answer, "Upload-Offset");
        if (!offset || *offset > m_size) {
            retryLater(tusError("tus.protocol", QStringLiteral("The server answered HEAD without a usable Upload-Offset."), status));
            return;
        }
        if (const auto length = headerOffset(answer, "Upload-Length"); length && *length != m_size) {
            startOver(); // not our file's upload (a stale store entry): never append to it
            return;
        }
        continueFrom(*offset);
        return;
    }
    case Step::Patch: {
        if (!ok) {
            if (status == 403 && m_offset + m_options.chunkSize >= m_size) {
                // The last chunk refused as "complete": a PATCH aborted by pause() (or a
                // lost answer) may still have delivered every byte from the kernel's buffers.
                // Ask the server before calling the upload failed.
                m_refusedPatch = answerError(answer, QStringLiteral("Sending the video bytes"));
                sync();
                return;
            }
            if (status == 404 || status == 410 || status == 403) {
                noteStored(m_store.forget(m_fingerprint, m_endpoint));
                fail(answerError(answer, QStringLiteral("Sending the video bytes")));
                return;
            }
            retryOrFail(answer, answerError(answer, QStringLiteral("Sending the video bytes")));
            return;
        }
        const auto offset = headerOffset(answer, "Upload-Offset");
        if (!offset || *offset <= m_offset || *offset > m_size) {
            retryLater(tusError("tus.protocol",
                                QStringLiteral("The server accepted a chunk but answered an unusable Upload-Offset."), status));
            return;
        }
        m_failedAttempts = 0;
        m_offset = *offset;
        reportProgress(m_offset, true);
        sendNextChunk();
        return;
    }
    case Step::Terminate: {
        // Whatever the server said, this upload is over for us.
        noteStored(m_store.forget(m_fingerprint, m_endpoint));
        setState(State::Cancelled);
        emit cancelled();
        return;
    }
    }
}

void TusUploader::reportProgress(qint64 bytesSent, bool force)
{
    const qint64 now = m_clock.isValid() ? m_clock.elapsed() : 0;
    if (!m_samples.empty() && bytesSent < m_samples.back().second)
        m_samples.clear(); // bytes were lost (a retry): the old samples say nothing now
    m_samples.emplace_back(now, bytesSent);
    while (m_samples.size() > 2 && now - m_samples.front().first > kSpeedWindowMs)
        m_samples.pop_front();
    if (!force && m_lastProgressMs >= 0 && now - m_lastProgressMs < kProgressIntervalMs)
        return;
    m_lastProgressMs = now;
    double speed = 0;
    double eta = -1;
    const qint64 span = m_samples.back().first - m_samples.front().first;
    if (span > 0) {
        speed = double(m_samples.back().second - m_samples.front().second) * 1000.0 / double(span);
        if (speed > 0)
            eta = double(m_size - bytesSent) / speed;
    }
    if (bytesSent >= m_size)
        eta = 0;
    emit progress(bytesSent, m_size, speed, eta);
}

} // namespace deso::tus
