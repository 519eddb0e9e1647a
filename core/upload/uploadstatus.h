#pragma once
// Where one upload stands, as data: a state, a note on what is going on inside it, the
// error that refused or ended it, the bytes moved, and for videos the node's own view.
// describe() is the one place that puts it into words; the queue saves the data (toJson),
// never the words, and the window and the command line show describe()'s sentence.

#include "common/result.h"
#include "node/nodeclient.h"

#include <QJsonObject>
#include <QMetaType>
#include <QObject>
#include <QString>

#include <optional>

namespace deso::upload {
Q_NAMESPACE

enum class MediaKind { Image, Video, Unsupported };
Q_ENUM_NS(MediaKind)

enum class UploadState { Waiting, Processing, Uploading, Paused, Done, Failed, Refused };
Q_ENUM_NS(UploadState)

enum class StatusNote {
    None,
    Queued,             // started; waits for a free upload slot
    Cancelled,          // cancelled by the user; it can start again
    Resuming,           // restored from an earlier run; the stored upload is looked up
    SmallerCopyPlanned, // an image over the node's size limit: a smaller copy will be sent
    MakingSmallerCopy,  // that copy is being made
    Retrying,           // connection trouble; `error` holds the cause
    NodeProcessing,     // uploaded; the node processes the video (`video` holds its view)
    NoPreviewFrame,     // no frame could be decoded for a preview (`error` says why)
    MediaServerProcessing, // sent to a media server; it processes the asset (`video` holds its view)
    SmallerVideoPlanned, // a video over `videoLimit`: a smaller copy that fits will be made and sent, unasked
    MakingSmallerVideo,  // that copy is being made (`preparedFraction`)
    SmallerVideoOffered, // a video over `videoLimit`: held until the creator makes a copy that fits or keeps it
                         // as it is (then refused); `error`: why the last copy could not be made, if it failed
    SmallerVideoReady,   // that copy is made (`copyBytes`, `copyWidth`×`copyHeight`): to preview, then upload or discard
};
Q_ENUM_NS(StatusNote)

// The bytes are all sent and a server (node or media server) is processing the video:
// such an upload is followed, and takes no upload slot.
inline bool isFollowingServer(StatusNote note)
{
    return note == StatusNote::NodeProcessing || note == StatusNote::MediaServerProcessing;
}

// The most a video may weigh where it is sent, and whose limit that is: the node's
// 250 MB over tus, or the chosen media server's (see core/upload's videoLimit).
struct VideoLimit {
    qint64 bytes = 0;          // 0: none known
    bool mediaServer = false;  // the media server's limit, else the node's
    QString holder() const;    // "the node" / "the media server"
};

struct UploadStatus {
    UploadState state = UploadState::Waiting;
    StatusNote note = StatusNote::None;
    Error error;                // Failed / Refused: why; Retrying / NoPreviewFrame: the cause
    qint64 bytesSent = 0;
    qint64 bytesTotal = 0;      // what goes over the wire (a smaller copy's size for images)
    double bytesPerSecond = 0;  // 0 = not measured
    double preparedFraction = 0; // MakingSmallerVideo: 0..1 of the copy made
    VideoLimit videoLimit;      // SmallerVideo* notes: the limit the video is over
    qint64 copyBytes = 0;       // SmallerVideoReady (and its upload): the copy that fits
    int copyWidth = 0, copyHeight = 0;
    std::optional<node::VideoStatus> video; // the node's last answer about an uploaded video
    QString resultUrl;          // ImageURL, or where the ready video streams
    QString videoId;            // Stream-Media-Id
    QString uploadUrl;          // tus Location: lets an upload resume after a restart

    bool hasError() const { return !error.code.isEmpty() || !error.message.isEmpty(); }
    QJsonObject toJson() const;
    static UploadStatus fromJson(const QJsonObject &object);
};

// The one sentence for a status, e.g. "Queued; starts when a slot is free",
// "ready to stream (2.0 s, 320×180)" or a failure's own sentence.
QString describe(const UploadStatus &status);
// The node's view of a video alone, e.g. "processing (inprogress, 40 %)"; describe() uses it.
QString describe(const node::VideoStatus &video);

// Stable names for saving and for badges ("waiting", "paused", ...).
QString stateKey(UploadState state);
UploadState stateFromKey(const QString &key);

} // namespace deso::upload

Q_DECLARE_METATYPE(deso::upload::UploadStatus)
