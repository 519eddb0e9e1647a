#pragma once
// The one place that turns an UploadRecord into what clients read about a video:
// the Livepeer-style asset the media-server contract answers (status.phase,
// videoSpec, playbackID/URL, downloadURL), merged into the node's
// get-video-status shape so one body serves both kinds of id. The video
// processing (today the probe) writes UploadRecord fields; only this reads them.

#include "host/uploadstore.h"

#include <QJsonObject>

namespace deso::host {

// uploading (bytes still missing), waiting (complete, not yet picked up),
// processing, ready, failed.
QString videoAssetPhase(const UploadRecord &record);

// `baseUrl` is where the client reached the host (HostSite::baseUrlFor).
QJsonObject videoAssetJson(const UploadRecord &record, const QByteArray &baseUrl);

// The asset's playback id: the one processing gave it, else its id.
QString videoPlaybackId(const UploadRecord &record);

// Where a ready video streams from (its HLS master playlist), and where its MP4 is downloaded.
QByteArray videoPlaybackUrl(const UploadRecord &record, const QByteArray &baseUrl);
QByteArray videoDownloadUrl(const UploadRecord &record, const QByteArray &baseUrl);

} // namespace deso::host
