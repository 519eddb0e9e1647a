#pragma once
// A client of S3 and S3-compatible object storage (AWS, MinIO, s3rver...), signed with
// SigV4 (s3/sigv4signer.h) and sent over QNetworkAccessManager.
//
// Two forms:
// - S3Client: asynchronous, on the thread it lives on (the host's server thread uses it
//   from its event loop). Every call returns an S3Reply (a child of the client) that
//   emits finished() exactly once (never from inside the call) and then holds a
//   Result<S3Answer>. Delete the reply after finished() (deleteLater) or let the client
//   delete it with itself; deleting it earlier cancels the request.
// - BlockingS3Client: the same operations returning the Result directly, for worker
//   threads (processing jobs). It owns its own S3Client and QNetworkAccessManager on the
//   calling thread and spins a local QEventLoop; create one per thread, never on a
//   thread whose event loop serves others (the UI or the server thread).
//
// Keys given to the client are relative to S3Config::keyPrefix; listed keys come back
// relative to it as well.
//
// Bodies are streamed: a put from a file range or a QIODevice and a get into a file or a
// device never hold the whole object in RAM (a get into bytes takes a bound).
//
// Retries: calls that are safe to repeat (GET, HEAD, DELETE, PUT, UploadPart, Copy,
// Complete) are retried up to S3Config::maxAttempts times when no HTTP answer came (refused,
// reset, timed out) or S3 answered 500/502/503/504, with the body sent again from its file
// or random-access device (a sequential source or a device sink that already got bytes
// cannot be repeated); a conditional write only when the connection was refused (it cannot
// have reached the server). CreateMultipartUpload is never retried.
//
// Errors (deso::Error: code, one sentence, HTTP status kept): S3's <Error><Code><Message>
// becomes a sentence naming the operation, the key, S3's message and code, e.g.
// "S3 refused to read 'a/b.mp4' from bucket 'media': The specified key does not exist.
// (NoSuchKey, HTTP 404)". The codes below are stable; the secret is never in a sentence.
//
// What s3rver 3.7.1 (the test server) supports: see README "S3 storage: the client" and
// tests/common/s3rverprocess.h.

#include "common/result.h"
#include "s3/s3credentials.h"
#include "s3/sigv4signer.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <memory>
#include <optional>

class QIODevice;
class QNetworkAccessManager;
class QNetworkReply;

namespace deso::s3 {

// Machine codes of S3 errors.
inline constexpr char kNoSuchKeyCode[] = "s3.no_such_key";             // NoSuchKey / 404 on HEAD
inline constexpr char kNoSuchBucketCode[] = "s3.no_such_bucket";       // NoSuchBucket
inline constexpr char kNoSuchUploadCode[] = "s3.no_such_upload";       // NoSuchUpload (multipart)
inline constexpr char kPreconditionFailedCode[] = "s3.precondition_failed"; // If-Match / If-None-Match refused (412, 409 ConditionalRequestConflict)
inline constexpr char kSignatureMismatchCode[] = "s3.signature_mismatch";   // SignatureDoesNotMatch
inline constexpr char kAccessDeniedCode[] = "s3.access_denied";        // AccessDenied, InvalidAccessKeyId, ExpiredToken
inline constexpr char kRangeNotSatisfiableCode[] = "s3.range_not_satisfiable"; // InvalidRange / 416
inline constexpr char kEntityTooSmallCode[] = "s3.entity_too_small";   // a multipart part under 5 MiB
inline constexpr char kServerRefusedCode[] = "s3.refused";             // any other S3 error answer
inline constexpr char kNetworkErrorCode[] = "s3.network";              // no HTTP answer (refused, reset, DNS)
inline constexpr char kTimeoutCode[] = "s3.timeout";                   // no byte moved for S3Config::timeoutMs
inline constexpr char kTooLargeCode[] = "s3.too_large";                // a get into bytes over its bound
inline constexpr char kLocalFileCode[] = "s3.local_file";              // the local file could not be read / written
inline constexpr char kBadRequestCode[] = "s3.bad_request";            // bad arguments (empty key, bad range...)
inline constexpr char kBadUrlCode[] = "s3.bad_url";                    // a malformed s3:// or endpoint URL
inline constexpr char kCanceledCode[] = "s3.canceled";                 // S3Reply::abort()

// S3's part size limits for multipart uploads.
inline constexpr qint64 kMinPartSize = 5LL * 1024 * 1024;   // every part but the last
inline constexpr qint64 kMaxPartSize = 5LL * 1024 * 1024 * 1024;
inline constexpr int kMaxPartNumber = 10000;

// s3://BUCKET[/PREFIX]. The prefix comes back without a leading '/' and, when not empty,
// ending in '/'. Errors: s3.bad_url.
struct S3Location {
    QString bucket;
    QString prefix;
};
Result<S3Location> parseS3Url(const QString &url);

enum class AddressingStyle {
    Path,         // http://endpoint/BUCKET/KEY (s3rver, MinIO, most S3-compatible servers)
    VirtualHost,  // http://BUCKET.endpoint/KEY (AWS's default)
};

struct S3Config {
    // Scheme, host and port, e.g. http://127.0.0.1:4568. Empty = AWS:
    // https://s3.REGION.amazonaws.com. A path on the endpoint is kept as a base path.
    QUrl endpoint;
    QString region = QStringLiteral("us-east-1");
    QString bucket;
    QString keyPrefix;        // prepended to every key; normalised to end in '/' when set
    AddressingStyle addressing = AddressingStyle::Path;
    AwsCredentials credentials;
    int timeoutMs = 30000;    // a request fails when no byte moves for this long
    int maxAttempts = 3;      // attempts of a retryable call (1 = no retry)
    int retryDelayMs = 200;   // before the 2nd attempt; doubles each time

    // Checks bucket name, endpoint, region and credentials. Errors: s3.bad_url,
    // s3.credentials_missing.
    Status validate() const;
    // The config with the location's bucket and prefix (parseS3Url).
    S3Config withLocation(const S3Location &location) const;
};

// Prints endpoint, region, bucket, prefix, addressing and the key id; never the secret.
QDebug operator<<(QDebug debug, const S3Config &config);

struct ObjectInfo {
    QString key;                  // relative to the key prefix
    qint64 size = -1;             // whole object's size (Content-Length of HEAD, Content-Range total of a ranged GET)
    QByteArray etag;              // as S3 sends it, quotes included ("\"9bb5...\""); what If-Match takes
    QDateTime lastModified;
    QByteArray contentType;
    QMap<QByteArray, QByteArray> metadata;  // x-amz-meta-NAME (NAME lower-case) -> value
};

struct ListPage {
    QList<ObjectInfo> objects;    // key, size, etag, lastModified
    QStringList commonPrefixes;   // with a delimiter; relative to the key prefix
    bool truncated = false;
    QString nextContinuationToken;  // pass to the next listObjects call when truncated
};

struct CompletedPart {
    int partNumber = 0;           // 1..10000
    QByteArray etag;              // UploadPart's answer
};

// What an operation answers; the fields its operation fills are named there.
struct S3Answer {
    int httpStatus = 0;
    ObjectInfo object;            // put/copy/uploadPart: etag; head/get: everything known
    QByteArray body;              // getObject into bytes
    qint64 bytesTransferred = 0;  // body bytes sent (puts, parts) or received (gets)
    ListPage list;                // listObjects
    QString uploadId;             // createMultipartUpload (and echoed by uploadPart/complete)
    bool conditionalWritesHonoured = false;  // probeConditionalWrites
    int attempts = 1;             // requests sent (more than 1 after a retry)
};

struct PutOptions {
    QByteArray contentType;       // default application/octet-stream
    QMap<QByteArray, QByteArray> metadata;   // sent as x-amz-meta-NAME
    // Conditional writes: If-None-Match: * (create only when absent) and If-Match: ETAG
    // (replace only that version). Refusal = s3.precondition_failed. Servers that ignore
    // them (s3rver) just write: see probeConditionalWrites().
    bool ifNoneMatchAny = false;
    QByteArray ifMatch;
    // The lower-hex SHA-256 of the body when the caller already knows it; otherwise a
    // streamed body is sent as UNSIGNED-PAYLOAD (bytes bodies are always hashed).
    QByteArray payloadSha256;
};

struct ByteRange {
    qint64 first = 0;
    qint64 last = -1;             // inclusive; -1 = to the end ("bytes=first-")
};

struct GetOptions {
    std::optional<ByteRange> range;
    QByteArray ifMatch;           // fail with s3.precondition_failed if the ETag differs
    qint64 maxBytes = 64LL * 1024 * 1024;   // getObject into bytes: bound; over it = s3.too_large
};

struct ListOptions {
    QString prefix;               // relative to the key prefix
    QString delimiter;            // e.g. "/" to get commonPrefixes
    QString continuationToken;
    int maxKeys = 1000;
};

// One operation in flight. finished() comes exactly once, always after the call returned.
class S3Reply : public QObject {
    Q_OBJECT
public:
    ~S3Reply() override;

    bool isFinished() const { return m_finished; }
    // Valid once finished.
    const Result<S3Answer> &result() const;
    // What the operation is, for sentences ("writing 'a/b.mp4'").
    const QString &description() const { return m_description; }
    // Cancels: finished() follows with s3.canceled (unless it already finished).
    void abort();

signals:
    void finished();
    // Body bytes sent (puts) or received (gets) so far; total -1 when unknown.
    void progress(qint64 done, qint64 total);

private:
    friend class S3Client;
    struct Operation;
    explicit S3Reply(QString description, QObject *parent);
    void finish(Result<S3Answer> result);

    QString m_description;
    bool m_finished = false;
    std::optional<Result<S3Answer>> m_result;
    std::unique_ptr<Operation> m_operation;
};

class S3Client : public QObject {
    Q_OBJECT
public:
    // Uses network when given (it must live on this thread), else owns its own.
    explicit S3Client(S3Config config, QNetworkAccessManager *network = nullptr, QObject *parent = nullptr);
    ~S3Client() override;

    const S3Config &config() const { return m_config; }
    // The URL an object has (no signature): for logs and public-base-URL checks.
    QUrl objectUrl(const QString &key) const;

    // PutObject. Answer: object.etag, bytesTransferred.
    S3Reply *putObject(const QString &key, const QByteArray &bytes, const PutOptions &options = {});
    // PutObject streamed from [offset, offset + length) of a file (length -1 = to its end).
    S3Reply *putObjectFromFile(const QString &key, const QString &path, qint64 offset = 0, qint64 length = -1,
                               const PutOptions &options = {});

    // PutObject streamed from an open, readable device: `length` bytes from its current
    // position (not owned; must outlive the reply; retried only when it is random-access).
    S3Reply *putObjectFromDevice(const QString &key, QIODevice *source, qint64 length, const PutOptions &options = {});

    // GetObject into bytes (bounded by options.maxBytes). Answer: body, object.
    S3Reply *getObject(const QString &key, const GetOptions &options = {});
    // GetObject streamed into a file (created or truncated; removed again on failure).
    S3Reply *getObjectToFile(const QString &key, const QString &path, const GetOptions &options = {});
    // GetObject streamed into an open, writable device (not owned; must outlive the reply).
    // Bytes are written as they arrive; on failure some may already have been written.
    S3Reply *getObjectToDevice(const QString &key, QIODevice *sink, const GetOptions &options = {});

    // HeadObject. Answer: object (size, etag, lastModified, contentType, metadata).
    // A missing key = s3.no_such_key.
    S3Reply *headObject(const QString &key);
    // DeleteObject. A missing key is not an error (S3 answers 204 either way).
    S3Reply *deleteObject(const QString &key);
    // ListObjectsV2, one page. Answer: list.
    S3Reply *listObjects(const ListOptions &options = {});
    // CopyObject within the bucket (both keys relative to the prefix). Metadata is copied
    // unless options.metadata is set (then REPLACE). Answer: object.etag.
    S3Reply *copyObject(const QString &sourceKey, const QString &destinationKey, const PutOptions &options = {});

    // Multipart upload. Answer: uploadId.
    S3Reply *createMultipartUpload(const QString &key, const PutOptions &options = {});
    // One part from [offset, offset + length) of a file. Answer: object.etag.
    S3Reply *uploadPartFromFile(const QString &key, const QString &uploadId, int partNumber, const QString &path,
                                qint64 offset, qint64 length);
    // One part from an open, readable device: `length` bytes from its current position
    // (not owned; must outlive the reply; random-access devices are rewound on a retry,
    // sequential ones are not retried).
    S3Reply *uploadPartFromDevice(const QString &key, const QString &uploadId, int partNumber, QIODevice *source,
                                  qint64 length);
    // Answer: object.etag (of the whole object). Parts in ascending partNumber order.
    S3Reply *completeMultipartUpload(const QString &key, const QString &uploadId, const QList<CompletedPart> &parts);
    // Servers without abort (s3rver) answer an error: callers must not depend on it.
    S3Reply *abortMultipartUpload(const QString &key, const QString &uploadId);

    // Finds out whether the server honours If-None-Match: * on PutObject by writing
    // probeKey twice (and deleting it). Answer: conditionalWritesHonoured.
    S3Reply *probeConditionalWrites(const QString &probeKey);

private:
    friend class S3Reply;
    struct Call;
    S3Reply *start(std::shared_ptr<Call> call);
    // A reply that fails on the next event-loop turn (bad arguments found before sending).
    S3Reply *failed(const QString &what, Error error);
    void send(S3Reply *reply);
    void drain(S3Reply *reply, QNetworkReply *network);
    void onNetworkFinished(S3Reply *reply, QNetworkReply *network);
    Result<std::shared_ptr<Call>> objectCall(const char *method, const QString &key, const QString &what);

    S3Config m_config;
    QNetworkAccessManager *m_network;
    SigV4Signer m_signer;
};

// The blocking form for worker threads: same operations, same answers.
class BlockingS3Client {
public:
    explicit BlockingS3Client(S3Config config);
    ~BlockingS3Client();
    BlockingS3Client(const BlockingS3Client &) = delete;
    BlockingS3Client &operator=(const BlockingS3Client &) = delete;

    const S3Config &config() const;

    Result<S3Answer> putObject(const QString &key, const QByteArray &bytes, const PutOptions &options = {});
    Result<S3Answer> putObjectFromFile(const QString &key, const QString &path, qint64 offset = 0, qint64 length = -1,
                                       const PutOptions &options = {});
    Result<S3Answer> putObjectFromDevice(const QString &key, QIODevice *source, qint64 length,
                                         const PutOptions &options = {});
    Result<S3Answer> getObject(const QString &key, const GetOptions &options = {});
    Result<S3Answer> getObjectToFile(const QString &key, const QString &path, const GetOptions &options = {});
    Result<S3Answer> headObject(const QString &key);
    Result<S3Answer> deleteObject(const QString &key);
    Result<S3Answer> listObjects(const ListOptions &options = {});
    Result<S3Answer> copyObject(const QString &sourceKey, const QString &destinationKey, const PutOptions &options = {});
    Result<S3Answer> createMultipartUpload(const QString &key, const PutOptions &options = {});
    Result<S3Answer> uploadPartFromFile(const QString &key, const QString &uploadId, int partNumber, const QString &path,
                                        qint64 offset, qint64 length);
    Result<S3Answer> completeMultipartUpload(const QString &key, const QString &uploadId,
                                             const QList<CompletedPart> &parts);
    Result<S3Answer> abortMultipartUpload(const QString &key, const QString &uploadId);
    Result<S3Answer> getObjectToDevice(const QString &key, QIODevice *sink, const GetOptions &options = {});
    Result<S3Answer> uploadPartFromDevice(const QString &key, const QString &uploadId, int partNumber, QIODevice *source,
                                          qint64 length);
    Result<S3Answer> probeConditionalWrites(const QString &probeKey);

private:
    Result<S3Answer> wait(S3Reply *reply);
    std::unique_ptr<S3Client> m_client;
};

} // namespace deso::s3
