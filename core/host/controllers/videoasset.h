#pragma once
// The one place that turns an UploadRecord into what clients read about a video:
// the Livepeer-style asset the media-server contract answers (status.phase,
// videoSpec, playbackID/URL, downloadURL), merged into the node's
// get-video-status shape so one body serves both kinds of id. The video
// processing (today the probe) writes UploadRecord fields; only this reads them.

#include "host/uploadstore.h"

#include <QByteArray>

namespace deso::host {

// uploading (bytes still missing), waiting (complete, not yet picked up),
// processing, ready, failed.
QString videoAssetPhase(const UploadRecord &record);

// pctComplete as 0..1: the upload's share while bytes arrive, then processing progress.
double videoCompletion(const UploadRecord &record);

// What a status body shows of a record, beyond what never changes once it is
// created (id, name, size, createdAt): equal inputs give the same bytes, so a
// body can be kept and answered again until they differ. `baseUrl` is empty
// unless the video is ready (only a ready video's body holds URLs).
struct VideoStatusInputs {
    const UploadRecord *record = nullptr; // identity only, never read through
    VideoState state = VideoState::PendingUpload;
    qint64 offset = 0;
    qint64 length = 0;
    double processingProgress = 0;
    double durationSeconds = 0;
    int width = 0;
    int height = 0;
    QString errorCode;
    QString errorMessage;
    QString playbackId;
    QString mimeType;
    QByteArray baseUrl;

    static VideoStatusInputs of(const UploadRecord &record, const QByteArray &baseUrl);
    bool operator==(const VideoStatusInputs &) const = default;
};

// The get-video-status body, compact JSON: the node's keys (ReadyToStream,
// Duration, Dimensions, state, pctComplete, errors, URLs once ready) and the
// asset's (id, playbackID, name, size, createdAt, status, videoSpec, URLs).
// `baseUrl` is where the client reached the host (HostSite::baseUrlFor).
QByteArray videoStatusBody(const UploadRecord &record, const QByteArray &baseUrl);

// The asset's playback id: the one processing gave it, else its id.
QString videoPlaybackId(const UploadRecord &record);

// Where a ready video streams from (its HLS master playlist), and where its MP4 is downloaded.
QByteArray videoPlaybackUrl(const UploadRecord &record, const QByteArray &baseUrl);
QByteArray videoDownloadUrl(const UploadRecord &record, const QByteArray &baseUrl);

} // namespace deso::host
