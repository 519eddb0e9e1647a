#pragma once
// The media-server contract of current DeSo apps on the host's upload-video path:
// POST /api/v0/upload-video with multipart/form-data (JWT, UserPublicKeyBase58Check,
// file) streams the file to disk as it arrives and answers
// {asset:{id, playbackId}, tusEndpoint, url}; PUT <url> (a one-time direct-upload
// URL from that answer) takes a raw body for one more asset; and
// POST /api/v0/enable-video-download/<id>. A finished file becomes an
// UploadRecord like a tus upload's, so processing and get-video-status are shared.

#include "host/hostsite.h"
#include "host/http/httphandler.h"
#include "host/hoststorage.h"
#include "host/uploadstore.h"
#include "identity/jwt.h"

#include <QDateTime>
#include <QHash>

#include <functional>

namespace deso::host {

class MediaServerController {
public:
    using CompletionHandler = std::function<void(const std::shared_ptr<UploadRecord> &)>;
    // Text fields of the form (JWT, public key) are small: more than this in all is refused.
    static constexpr qint64 kMaxFieldBytes = 64 * 1024;

    MediaServerController(const HostSite &site, UploadStore &store, const identity::DerivedKeyAuthorizations &authorizations,
                          qint64 maxFileBytes, CompletionHandler onComplete);

    static bool isMultipart(const HttpRequest &request);
    Admission upload(const HttpRequest &request);
    Admission directUpload(const HttpRequest &request, const QString &token);
    HttpResponse enableDownload(const HttpRequest &request, const QString &id) const;

    // Object storage: adoptions (an upload of the whole file to the bucket) run
    // on its threads and are answered on `context`'s thread (the server's).
    void adoptOn(HostStorage &storage, QObject *context)
    {
        m_blockingStorage = &storage;
        m_context = context;
    }

    static QByteArray directUploadPrefix() { return "/api/v0/direct-upload/"; }
    static QByteArray enableDownloadPrefix() { return "/api/v0/enable-video-download/"; }

private:
    friend class MultipartVideoSink;
    friend class DirectUploadSink;

    // Where bodies are written before they become assets (inside the store's
    // directory, so the final rename stays on one file system).
    QString stagingPath();
    // Turns a complete staged file into a finished upload and starts its processing.
    Result<std::shared_ptr<UploadRecord>> adopt(const QString &stagedPath, qint64 length, const QByteArray &fileName);
    // adopt() where storage calls may block, then `done` on the server thread. The
    // staged file is the adoption's: removed when it fails.
    using Adopted = std::function<void(Result<std::shared_ptr<UploadRecord>>)>;
    void adoptThen(const QString &stagedPath, qint64 length, const QByteArray &fileName, Adopted done);
    // {asset:{id, playbackId}, tusEndpoint, url} with a fresh direct-upload URL.
    HttpResponse createdAnswer(const UploadRecord &record, const QByteArray &baseUrl);
    Status verifyUploader(const QString &jwt, const QString &publicKey) const;

    const HostSite &m_site;
    UploadStore &m_store;
    const identity::DerivedKeyAuthorizations &m_authorizations;
    qint64 m_maxFileBytes;
    CompletionHandler m_onComplete;
    QString m_stagingDir;
    quint64 m_stagingCounter = 0;
    // Unused direct-upload URLs and when they stop working; a PUT in flight holds its token.
    QHash<QByteArray, QDateTime> m_directTokens;
    HostStorage *m_blockingStorage = nullptr;
    QObject *m_context = nullptr;
};

} // namespace deso::host
