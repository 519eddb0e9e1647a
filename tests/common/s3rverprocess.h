#pragma once
// The S3 test server: s3rver 3.7.1 (npm) behind tests/common/s3rver/s3rver-sigv4.js, which
// checks every request's SigV4 signature with AWS's own JavaScript signer (s3rver itself
// only checks the access key id). Started on a free loopback port with a temporary data
// directory and its buckets created; stopped (killed) with the object.
//
// What s3rver 3.7.1 supports, found by hand (lib/routes.js, lib/controllers/object.js):
// - PutObject, GetObject (Range), HeadObject, DeleteObject, CopyObject
//   (x-amz-copy-source), ListObjectsV2, x-amz-meta-* metadata;
// - multipart: CreateMultipartUpload, UploadPart, CompleteMultipartUpload. Not: ListParts,
//   ListMultipartUploads, AbortMultipartUpload (MethodNotAllowed, HTTP 405), UploadPartCopy
//   (NotImplemented); completing an unknown upload id is an InternalError (500), not NoSuchUpload;
// - no conditional writes: If-None-Match / If-Match on PUT are ignored (it honours them
//   on GET only, answering 304); S3Client::probeConditionalWrites says so at run time;
// - no minimum part size (S3's 5 MiB EntityTooSmall is not enforced);
// - SigV4: only the key id is checked, hence the launcher;
// - ListObjectsV2 continuation tokens are DES-encrypted: Node 17+ needs
//   --openssl-legacy-provider for them (start() passes it).
// The key pair is S3RVER / S3RVER.
//
// npm packages: installed into the build tree (DESO_S3RVER_DIR) by
// packaging/install-s3rver.sh, which ./dev.sh test runs; start() runs it too when they are
// missing, and says why when it cannot (the test then QSKIPs).

#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>
#include <QUrl>

#include <memory>

namespace testcommon {

class S3rverProcess {
public:
    static constexpr char kAccessKeyId[] = "S3RVER";
    static constexpr char kSecretAccessKey[] = "S3RVER";

    S3rverProcess() = default;
    ~S3rverProcess();
    S3rverProcess(const S3rverProcess &) = delete;
    S3rverProcess &operator=(const S3rverProcess &) = delete;

    // Starts the server with these buckets. False with *why (a sentence for QSKIP) when
    // node, npm or the packages are missing or the server does not come up.
    bool start(const QStringList &buckets, QString *why);
    void stop();

    QUrl endpoint() const;              // http://127.0.0.1:PORT
    quint16 port() const { return m_port; }
    qint64 pid() const { return m_process ? m_process->processId() : 0; }
    QString dataDirectory() const { return m_data ? m_data->path() : QString(); }
    // Where the npm packages live (the build tree).
    static QString packageDirectory();

private:
    std::unique_ptr<QTemporaryDir> m_data;
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
};

} // namespace testcommon
