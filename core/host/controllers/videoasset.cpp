#include "host/controllers/videoasset.h"

#include "host/controllers/playbackcontroller.h"
#include "host/http/httpmessage.h"

namespace deso::host {

QString videoAssetPhase(const UploadRecord &record)
{
    if (!record.complete())
        return QStringLiteral("uploading");
    switch (record.state) {
    case VideoState::PendingUpload:
    case VideoState::Queued: return QStringLiteral("waiting");
    case VideoState::InProgress: return QStringLiteral("processing");
    case VideoState::Ready: return QStringLiteral("ready");
    case VideoState::Error: return QStringLiteral("failed");
    }
    return QStringLiteral("failed");
}

double videoCompletion(const UploadRecord &record)
{
    // While bytes arrive: the upload's share; once complete: processing progress,
    // as the video service reports pctComplete for its inprogress state.
    if (record.state == VideoState::PendingUpload)
        return record.length > 0 ? double(record.offset) / double(record.length) : 1.0;
    if (record.state == VideoState::Ready)
        return 1.0;
    return record.processingProgress;
}

QString videoPlaybackId(const UploadRecord &record)
{
    return record.playbackId.isEmpty() ? record.id : record.playbackId;
}

QByteArray videoPlaybackUrl(const UploadRecord &record, const QByteArray &baseUrl)
{
    return baseUrl + PlaybackController::masterPlaylistPath(videoPlaybackId(record));
}

QByteArray videoDownloadUrl(const UploadRecord &record, const QByteArray &baseUrl)
{
    return baseUrl + PlaybackController::downloadPath(videoPlaybackId(record));
}

VideoStatusInputs VideoStatusInputs::of(const UploadRecord &record, const QByteArray &baseUrl)
{
    VideoStatusInputs in;
    in.record = &record;
    in.state = record.state;
    in.offset = record.offset;
    in.length = record.length;
    in.processingProgress = record.processingProgress;
    in.durationSeconds = record.durationSeconds;
    in.width = record.width;
    in.height = record.height;
    in.errorCode = record.errorCode;
    in.errorMessage = record.errorMessage;
    in.playbackId = record.playbackId;
    in.mimeType = record.mimeType;
    in.baseUrl = record.state == VideoState::Ready ? baseUrl : QByteArray();
    return in;
}

QByteArray videoStatusBody(const UploadRecord &record, const QByteArray &baseUrl)
{
    // The keys of both shapes in one object, in QJsonObject's order (see JsonWriter):
    // the node's capitalised keys first, then the lower-case ones of both.
    const bool ready = record.state == VideoState::Ready;
    const bool failed = record.state == VideoState::Error;
    const QString phase = videoAssetPhase(record);
    JsonWriter w;
    w.beginObject();
    w.key("Dimensions").beginObject();
    w.key("height").value(ready ? record.height : 0);
    w.key("width").value(ready ? record.width : 0);
    w.endObject();
    if (ready)
        w.key("DownloadURL").latin1(baseUrl + PlaybackController::downloadPath(record.playbackId));
    w.key("Duration").value(ready ? record.durationSeconds : 0.0);
    if (ready)
        w.key("PlaybackURL").latin1(baseUrl + PlaybackController::masterPlaylistPath(record.playbackId));
    w.key("ReadyToStream").value(ready);
    if (ready)
        w.key("ThumbnailURL").latin1(baseUrl + PlaybackController::thumbnailPath(record.playbackId));
    w.key("createdAt").value(record.createdAt.toMSecsSinceEpoch());
    if (ready)
        w.key("downloadURL").latin1(videoDownloadUrl(record, baseUrl));
    if (failed) {
        w.key("errorReasonCode").value(record.errorCode);
        w.key("errorReasonText").value(record.errorMessage);
    }
    w.key("id").value(record.id);
    w.key("name").value(QString::fromUtf8(record.metadata.value(QStringLiteral("filename"))));
    w.key("pctComplete").value(QString::number(100.0 * videoCompletion(record), 'f', 1));
    w.key("playbackID").value(videoPlaybackId(record));
    if (!record.playbackId.isEmpty())
        w.key("playbackId").value(record.playbackId);
    if (ready)
        w.key("playbackURL").latin1(videoPlaybackUrl(record, baseUrl));
    w.key("size").value(record.length);
    w.key("state").value(videoStateName(record.state));
    w.key("status").beginObject();
    if (failed)
        w.key("errorMessage").value(record.errorMessage);
    w.key("phase").value(phase);
    if (phase == QLatin1String("uploading"))
        w.key("progress").value(record.length > 0 ? double(record.offset) / double(record.length) : 0.0);
    else if (phase == QLatin1String("processing"))
        w.key("progress").value(record.processingProgress);
    w.endObject();
    if (ready) {
        w.key("videoSpec").beginObject();
        w.key("duration").value(record.durationSeconds);
        w.key("format").value(record.mimeType.section(QLatin1Char('/'), 1));
        w.key("tracks").beginArray().beginObject();
        w.key("height").value(record.height);
        w.key("type").value(QStringLiteral("video"));
        w.key("width").value(record.width);
        w.endObject().endArray();
        w.endObject();
    }
    w.endObject();
    return w.take();
}

} // namespace deso::host
