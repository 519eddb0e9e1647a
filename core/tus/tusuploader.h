#pragma once
// A tus 1.0.0 client (https://tus.io/protocols/resumable-upload) usable against any tus
// creation endpoint: a node's /api/v0/upload-video, this project's local host, or any
// standard tus server.
//
// - creation (POST with Upload-Length / Upload-Metadata; 200 or 201; Location resolved
//   against the endpoint), creation-with-upload when asked for and announced;
// - PATCH in chunks streamed from the file (never the whole file in memory);
// - Stream-Media-Id read from every response (the last non-empty one wins);
// - Upload-Checksum when the server announces the checksum extension;
// - retry with backoff on network errors and 5xx/423/409/460, re-syncing the offset with HEAD;
// - pause / resume / cancel (DELETE when termination is supported);
// - resume after a restart: the upload URL is kept per file fingerprint in a TusUploadStore.

#include "common/result.h"
#include "node/httpexchange.h"
#include "tus/socketpatchsender.h"
#include "tus/tusuploadstore.h"

#include <QElapsedTimer>
#include <QFuture>
#include <QList>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QTimer>
#include <QUrl>

#include <atomic>
#include <deque>
#include <memory>
#include <optional>

class QNetworkAccessManager;
class QNetworkReply;
class QNetworkRequest;

namespace deso::tus {

// The production video service's chunk rules (see media-endpoints.md).
inline constexpr qint64 kMinChunkSize = 5 * 1024 * 1024;     // unless the whole file is smaller
inline constexpr qint64 kMaxChunkSize = 200 * 1024 * 1024;
inline constexpr qint64 kChunkGranule = 256 * 1024;          // every chunk but the last
inline constexpr qint64 kDefaultChunkSize = 50 * 1024 * 1024; // what the DeSo web client used

struct TusOptions {
    qint64 chunkSize = kDefaultChunkSize;
    // Send the first chunk with the creation POST when the server announces
    // creation-with-upload (saves one round trip).
    bool creationWithUpload = false;
    // Delays before successive retries; the last one repeats. tus-js-client's defaults.
    QList<int> retryDelaysMs = {0, 1000, 3000, 5000};
    // Retries in a row without any progress; the next failure ends the upload.
    int maxRetries = 8;
    // The server's storage is full (507): wait this long and try again, for as
    // long as it takes (not counted against maxRetries); retrying() carries the
    // server's sentence meanwhile.
    int storageFullRetryMs = 30000;
    // Send Upload-Checksum when the server announces the checksum extension. A server then
    // keeps nothing of a chunk whose digest does not match (e.g. one cut short).
    bool useChecksum = true;
    // The algorithm to use when the server offers it (e.g. "sha256" for a cryptographic
    // digest); otherwise, and when empty, the first of kPreferredChecksumAlgorithms the
    // server offers. Checked with validateChecksumAlgorithm.
    QByteArray checksumAlgorithm;
    // Abort a request when no byte moves for this long (then retry).
    int stallTimeoutMs = 60000;
    // Look for an earlier upload of the same file in the store and continue it.
    bool resume = true;
    // Store file; empty = TusUploadStore::defaultStoreFile().
    QString storeFile;
    // Extra Upload-Metadata pairs; "filename", "name" and "filetype" are added from the file.
    QMap<QString, QString> metadata;
};

struct TusUploadResult {
    QUrl uploadUrl;
    QString mediaId;     // last non-empty Stream-Media-Id (empty when the server sends none)
    qint64 size = 0;
    bool resumed = false; // true when an earlier upload (stored URL) was continued
};

class TusUploader : public QObject {
    Q_OBJECT
public:
    enum class State { Idle, Creating, Uploading, Retrying, Paused, Cancelling, Cancelled, Finished, Failed };
    Q_ENUM(State)

    TusUploader(QUrl creationEndpoint, QString filePath, TusOptions options = {}, QObject *parent = nullptr);
    ~TusUploader() override;

    // Checks a chunk size against the production rules (>= 5 MiB, a multiple of
    // 256 KiB, <= 200 MiB); the error sentence says which rule failed.
    static Status validateChunkSize(qint64 chunkSize);
    // Checks a TusOptions::checksumAlgorithm name (one of kPreferredChecksumAlgorithms).
    static Status validateChecksumAlgorithm(QByteArrayView name);

    State state() const { return m_state; }
    QString filePath() const { return m_filePath; }
    QUrl creationEndpoint() const { return m_endpoint; }
    QUrl uploadUrl() const { return m_uploadUrl; }
    QString mediaId() const { return m_mediaId; }
    qint64 bytesTotal() const { return m_size; }
    qint64 bytesConfirmed() const { return m_offset; } // acknowledged by the server
    // Extensions the server announced in its OPTIONS answer (empty when it did not answer).
    QStringList serverExtensions() const { return m_extensions; }
    // Requests sent so far, by method (e.g. "HEAD" -> 2): for diagnostics and tests.
    QMap<QByteArray, int> requestCounts() const { return m_requestCounts; }

public slots:
    void start();
    void pause();
    void resume();
    void cancel();

signals:
    void stateChanged(deso::tus::TusUploader::State state);
    // bytesSent includes the bytes of the request in flight; speed and ETA are measured
    // over the last few seconds (0 / -1 when not yet known).
    void progress(qint64 bytesSent, qint64 bytesTotal, double bytesPerSecond, double etaSeconds);
    void mediaIdChanged(const QString &mediaId);
    void uploadUrlChanged(const QUrl &uploadUrl);
    void retrying(int attempt, int delayMs, const deso::Error &cause);
    void finished(const deso::tus::TusUploadResult &result);
    void failed(const deso::Error &error);
    void cancelled();
    // The upload goes on, but its URL could not be remembered (or forgotten) in the store,
    // so a resume after a restart may not find it (or may try a finished one, then start over).
    void storeFailed(const deso::Error &problem);
    // Every tus request with its answer (bodies described, not copied), for testers.
    void exchanged(const deso::node::HttpExchange &exchange);

public:
    // A chunk's Upload-Checksum header value, or why it could not be computed
    // (default-constructible because it travels through QFuture).
    struct ChunkChecksum {
        QByteArray header;
        Error error;
    };

private:
    struct PendingChecksum {
        qint64 offset = 0;
        qint64 length = 0;
        QString algorithm;
        QFuture<ChunkChecksum> digest;
        std::shared_ptr<std::atomic<bool>> stop; // set: the hashing gives up (its digest is not wanted)
    };

    enum class Step { Discover, Create, Sync, Patch, Terminate };

    void setState(State state);
    void noteStored(const Status &stored);
    void fail(const Error &error);
    void discover();
    void createOrContinue();
    void create();
    void sync();
    void sendNextChunk();
    void sendPatch(qint64 length, const QByteArray &checksumHeader);
    // The digest of [offset, offset + length): the prefetched one when it is for that range.
    QFuture<ChunkChecksum> takeChecksum(qint64 offset, qint64 length, const QString &algorithm);
    // Starts hashing the chunk at offset while the current one is on the wire.
    void prefetchChecksum(qint64 offset, const QString &algorithm);
    // Stops and forgets a digest started ahead (the file may change while nothing is sent,
    // and a digest the server turned out not to want should not take CPU from the upload).
    void dropPrefetchedChecksum();
    void terminate();
    void complete();
    // PATCH bodies go straight from the file to a socket when the URL allows it (plain
    // http, no proxy): QNAM's cross-thread body forwarding caps the speed (issue 15).
    void sendPatchOverSocket(qint64 length, const QByteArray &checksumHeader);
    void onReplyFinished(QNetworkReply *reply, Step step);
    // Every answer, from QNAM or the socket sender, goes through here.
    void handleAnswer(const HttpAnswer &answer, Step step);
    Error answerError(const HttpAnswer &answer, const QString &what) const;
    void retryLater(const Error &cause);
    void retryOrFail(const HttpAnswer &answer, const Error &error);
    // Forgets the stored URL and creates a new upload from byte 0.
    void startOver();
    // Adopts the server's offset and sends the next chunk from there.
    void continueFrom(qint64 offset);
    void abortCurrent();
    void captureMediaId(const HttpAnswer &answer);
    QNetworkRequest tusRequest(const QUrl &url) const;
    QNetworkReply *send(const QNetworkRequest &request, const QByteArray &verb, QIODevice *body, Step step);
    void reportProgress(qint64 bytesSent, bool force);
    QByteArray metadataHeader() const;
    QString checksumAlgorithm() const;
    bool terminationAllowed() const;

    QUrl m_endpoint;
    QString m_filePath;
    TusOptions m_options;
    TusUploadStore m_store;
    QNetworkAccessManager *m_nam;
    QPointer<QNetworkReply> m_reply;
    QPointer<SocketPatchSender> m_socketSend;
    QByteArray m_replyVerb;         // for exchanged(): QNAM keeps no verb for HEAD/GET
    QElapsedTimer m_replyClock;
    QString m_replyBodyDescription;
    QTimer m_retryTimer;

    State m_state = State::Idle;
    QString m_fingerprint;
    QUrl m_uploadUrl;
    QString m_mediaId;
    qint64 m_size = 0;
    qint64 m_offset = 0;
    bool m_resumed = false;
    bool m_discovered = false;
    bool m_serverAnsweredOptions = false;
    QStringList m_extensions;
    QStringList m_checksumAlgorithms;
    int m_failedAttempts = 0;
    quint64 m_checksumGeneration = 0;
    std::optional<PendingChecksum> m_nextChecksum;
    // Set while a HEAD checks whether a PATCH refused with 403 had in fact completed the upload.
    std::optional<Error> m_refusedPatch;
    QMap<QByteArray, int> m_requestCounts;

    QElapsedTimer m_clock;
    std::deque<std::pair<qint64, qint64>> m_samples; // (ms, bytes sent) for the speed window
    qint64 m_lastProgressMs = -1;
};

} // namespace deso::tus

Q_DECLARE_METATYPE(deso::tus::TusUploadResult)
