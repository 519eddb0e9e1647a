#pragma once
// One upload of one file to one node: the object the window's queue and the command line
// both drive. An image is prepared (made acceptable unless asked not to), signed with the
// credentials asked for at that moment, and sent to upload-image; a video goes over tus
// (pause / resume / cancel, resumable after a restart) and is then, when asked, followed
// with get-video-status until it can stream. Its status is data (UploadStatus), sent
// with every change; describe() words it.

#include "common/result.h"
#include "node/nodeclient.h"
#include "tus/tusuploader.h"
#include "upload/credentials.h"
#include "upload/uploadfile.h"
#include "upload/uploadstatus.h"

#include <QObject>
#include <QPointer>

namespace deso::upload {

struct UploadOptions {
    // Images.
    bool makeAcceptable = true;      // off = the bytes as they are (see prepareImage)
    CredentialsSource credentials;   // asked when the image is about to be sent
    // Videos.
    // > 0: compress-to-fit with this limit (bytes): a larger video is sent as a smaller
    // H.264/AAC copy that fits (prepareVideo), the original untouched. 0: as it is.
    qint64 fitVideosTo = 0;
    tus::TusOptions tus;
    bool followProcessing = true;    // after the bytes: poll until the video can stream
    node::PollOptions poll;
    // Set: videos use the media-server contract of current DeSo apps (one multipart POST
    // streamed from disk, signed with `credentials`, then get-video-status by asset id at
    // mediaServerPoll's cadence) with this client, bound to the media server (not owned;
    // it must outlive the task). Null: the node's tus flow (legacy).
    node::NodeClient *mediaServer = nullptr;
    node::PollOptions mediaServerPoll = node::PollOptions::mediaServerCadence();
    // Media-server videos over this size go through the media server's tus endpoint
    // (NodeClient::discoverTusEndpoint) so that a cut connection resumes at the server's
    // offset, with pause and resume; smaller ones go as one multipart POST, as the SDK
    // sends them, and continue over tus when that POST is cut. A server without tus gets
    // the multipart POST whatever the size.
    qint64 mediaServerTusThreshold = 64 * 1024 * 1024;
};

struct UploadResult {
    QString url;                      // ImageURL, or where the video streams
    node::ImageUpload image;          // images
    tus::TusUploadResult video;       // videos sent with tus
    std::optional<node::MediaServerUpload> asset; // videos sent to a media server
    std::optional<node::VideoStatus> videoStatus; // when followed until ready
};

class UploadTask : public QObject {
    Q_OBJECT
public:
    // client: the node (not owned; it must outlive the task). kind: Image or Video.
    UploadTask(node::NodeClient *client, QString filePath, MediaKind kind, UploadOptions options = {},
               QObject *parent = nullptr);
    ~UploadTask() override;

    QString filePath() const { return m_path; }
    MediaKind kind() const { return m_kind; }
    const UploadStatus &status() const { return m_status; }
    bool isActive() const;  // preparing, sending or following the node
    bool canPause() const;
    bool canResume() const;
    bool canCancel() const;
    // The tus client of a video upload (requests, extensions), while there is one.
    tus::TusUploader *tusUploader() const { return m_tus; }

    // Where a ready video streams (medialinks: its playback URL, else its embed URL).
    static QString streamUrl(const node::VideoStatus &status);

public slots:
    void start();   // also after a failure or a cancel
    void pause();   // videos, while bytes are being sent
    void resume();
    void cancel();

signals:
    void statusChanged(const deso::upload::UploadStatus &status);
    // Bytes of this upload; speed and ETA as measured by the sender (0 / -1 when unknown).
    void progress(qint64 bytesSent, qint64 bytesTotal, double bytesPerSecond, double etaSeconds);
    void retrying(int attempt, int delayMs, const deso::Error &cause);
    void videoUploaded(const deso::tus::TusUploadResult &result);       // bytes all there; following starts
    void assetCreated(const deso::node::MediaServerUpload &asset);      // the same, from a media server
    void nodeStatusReceived(const deso::node::VideoStatus &status);    // every answer while following
    // Something went wrong that does not stop the upload (e.g. it could not be remembered
    // for a resume after a restart).
    void warning(const deso::Error &problem);
    // A video over fitVideosTo: its smaller copy is ready and about to be sent (one sentence).
    void videoPrepared(const QString &preparation);
    void finished(const deso::upload::UploadResult &result);
    void failed(const deso::Error &error);
    void cancelled();

private:
    void startImage();
    void sendImage(const node::ImagePart &part);
    void startVideo();
    // Compress-to-fit first when asked and needed, then startVideo / startMediaServerVideo.
    void prepareVideoThenSend();
    void sendVideo();
    // tus to `endpoint`; once all bytes are there, `follow` is polled about the video.
    void startTusVideo(const QUrl &endpoint, node::NodeClient *follow, const node::PollOptions &poll, StatusNote note);
    void startMediaServerVideo();
    void startMediaServerMultipart();
    // The media server's tus endpoint, found with discoverTusEndpoint (asked again with the
    // tus retry delays while the connection is down); `fallback` runs instead when the server
    // offers none or cannot be reached (with the reason), e.g. the multipart POST.
    void startMediaServerTus(std::function<void(const Error &)> fallback, int attempt = 0);
    // Polls `client` about `videoId` until it streams; `result` carries what the upload gave.
    void followVideo(node::NodeClient *client, const QString &videoId, const node::PollOptions &poll,
                     StatusNote note, UploadResult result);
    void update();
    void fail(const Error &error, StatusNote note = StatusNote::None);
    void succeed(const UploadResult &result);
    void dropWork();

    QPointer<node::NodeClient> m_client;
    QString m_path;
    PreparedVideo m_video; // what goes over the wire: m_path, or its smaller copy
    std::shared_ptr<std::atomic<bool>> m_prepareCancel; // the copy being made, if any
    MediaKind m_kind;
    UploadOptions m_options;
    UploadStatus m_status;
    QObject *m_work = nullptr;  // owns this run's requests, tus client and poller; deleting it stops them
    QPointer<tus::TusUploader> m_tus;
    QPointer<node::VideoStatusPoller> m_poller;
};

} // namespace deso::upload

Q_DECLARE_METATYPE(deso::upload::UploadResult)
