#pragma once
// A client of one node's media endpoints (media-endpoints.md), bound to a base URL such as
// https://node.deso.org or the local host's http://127.0.0.1:PORT. Every call answers
// exactly once, through its callback, with a value or an Error carrying the node's
// {"error"} sentence, the HTTP status, or the network error.
//
// Calls take a context object like QObject::connect: when it is destroyed first, the
// callback is not run.

#include "common/result.h"
#include "node/httpexchange.h"

#include <QJsonObject>
#include <QObject>
#include <QUrl>

#include <functional>

class QNetworkAccessManager;
class QIODevice;
class QHttpMultiPart;
class QNetworkReply;

namespace deso::node {

// An image ready to send as upload-image's file part (core/upload prepares it).
struct ImagePart {
    QString sourcePath;    // the file asked for
    QString fileName;      // the part's filename (the extension follows a re-encode)
    QString contentType;   // the part's Content-Type
    QByteArray bytes;      // what to send; empty = the file at sourcePath, streamed as it is
    qint64 size = 0;       // bytes sent as the file
    bool changed = false;  // resized / re-encoded to be acceptable
    QString preparation;   // one sentence: what was done before sending, and why
};

struct ImageUpload {
    QString imageUrl;      // ImageURL from the node
    QString sentFile;      // the file asked for
    QString sentFileName;  // the part's filename
    QString contentType;   // the part's Content-Type
    qint64 sentBytes = 0;
    bool changed = false;
    QString preparation;
};

struct VideoStatus {
    QString videoId;
    bool readyToStream = false;
    double duration = 0;      // seconds
    int width = 0;
    int height = 0;
    // Optional extras a host may send (the video service's state and error).
    QString state;            // pendingupload, downloading, queued, inprogress, ready, error
    QString errorCode;        // e.g. ERR_NON_VIDEO
    QString errorMessage;
    QString playbackUrl;      // where a host serves the ready video, when it says
    // The media server's Livepeer-style asset: status.phase (waiting, processing, ready,
    // failed; uploading while bytes are missing), downloadURL. Empty from a plain node.
    QString phase;
    QString downloadUrl;
    QJsonObject raw;          // the whole answer

    bool isError() const
    {
        return state == QLatin1String("error") || !errorCode.isEmpty() || phase == QLatin1String("failed");
    }
    static VideoStatus fromJson(const QString &videoId, const QJsonObject &object);
};

// The media server's answer to a multipart upload-video (the SDK's UploadVideoV2Response).
struct MediaServerUpload {
    QString assetId;      // asset.id: what get-video-status takes
    QString playbackId;   // asset.playbackId: what players (lvpr.tv) take
    QUrl tusEndpoint;     // where a resumable client could send the same kind of asset
    QUrl directUploadUrl; // "url": a one-time PUT URL
    qint64 sentBytes = 0;
    QJsonObject raw;      // the whole answer
};

// What a GET of a URL handed out by a server (playbackURL, downloadURL) gave.
struct FetchedUrl {
    QUrl url;
    QString contentType;
    qint64 bytes = 0;     // counted as they arrived, not kept
};

struct VideoDimensions {
    int width = 0;
    int height = 0;
};

class NodeClient : public QObject {
    Q_OBJECT
public:
    explicit NodeClient(QUrl baseUrl, QObject *parent = nullptr);

    QUrl baseUrl() const { return m_baseUrl; }
    void setBaseUrl(const QUrl &baseUrl)
    {
        if (baseUrl != m_baseUrl)
            m_tusEndpoint.clear();
        m_baseUrl = baseUrl;
    }
    // <base>/api/v0/<path>, keeping any path prefix of the base URL.
    QUrl endpoint(const QString &path) const;
    // The tus creation endpoint for TusUploader.
    QUrl videoUploadEndpoint() const { return endpoint(QStringLiteral("upload-video")); }

    // Sends the part with the uploader's public key and JWT (an empty one is left out, so
    // that the node says which is missing). progress(bytesSent, bytesTotal) follows the request.
    void uploadImage(const ImagePart &part, const QString &publicKey, const QString &jwt, QObject *context,
                     std::function<void(Result<ImageUpload>)> done,
                     std::function<void(qint64, qint64)> progress = {});
    // The media-server contract: the whole file as multipart/form-data (JWT,
    // UserPublicKeyBase58Check, file) to upload-video, streamed from disk.
    // progress(bytesSent, bytesTotal) follows the request (the form around the file included).
    void uploadVideoForm(const QString &filePath, const QString &contentType, const QString &publicKey,
                         const QString &jwt, QObject *context, std::function<void(Result<MediaServerUpload>)> done,
                         std::function<void(qint64, qint64)> progress = {});
    // Where a resumable (tus) client can send a video to this media server: the tusEndpoint
    // its last upload-video answer named, else upload-video itself when an OPTIONS request
    // there announces tus 1.0.0 (tus's own discovery). Remembered once known; an error
    // sentence when the server offers no tus.
    void discoverTusEndpoint(QObject *context, std::function<void(Result<QUrl>)> done);
    QUrl knownTusEndpoint() const { return m_tusEndpoint; }
    // GETs `url` (any URL, e.g. a playbackURL) and counts its bytes without keeping them.
    void fetchUrl(const QUrl &url, QObject *context, std::function<void(Result<FetchedUrl>)> done);
    void getVideoStatus(const QString &videoId, QObject *context, std::function<void(Result<VideoStatus>)> done);
    void getVideoDimensions(const QString &videoId, QObject *context,
                            std::function<void(Result<VideoDimensions>)> done);
    // Accepts a bare short id ("TTPd2Eobq3") or a pasted link ("https://vm.tiktok.com/TTPd2Eobq3/").
    void getFullTikTokUrl(const QString &shortIdOrLink, QObject *context, std::function<void(Result<QString>)> done);

signals:
    // Every request this client made, once it has its answer (or failed), for testers.
    void exchanged(const deso::node::HttpExchange &exchange);

private:
    // The form both uploads send; an empty credential is left out, so the server says which is missing.
    static QHttpMultiPart *fileForm(QIODevice *file, QString fileName, const QString &contentType,
                                    const QString &publicKey, const QString &jwt, QString *description, qint64 size);
    // Runs `parse` on the JSON object of a 2xx answer, or hands over the reply's error.
    // `method` and `requestBody` (a description, secrets redacted) go into exchanged().
    template <typename T>
    void finishJson(QNetworkReply *reply, const QByteArray &method, const QString &requestBody, QObject *context,
                    const QString &what,
                    std::function<Result<T>(const QJsonObject &)> parse, std::function<void(Result<T>)> done);

    QUrl m_baseUrl;
    QUrl m_tusEndpoint;  // see discoverTusEndpoint; forgotten when the base URL changes
    QNetworkAccessManager *m_nam;
};

} // namespace deso::node
