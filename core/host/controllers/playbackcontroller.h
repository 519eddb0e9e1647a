#pragma once
// GET|HEAD of what processing made of a video, by its playbackId:
//   /hls/<playbackId>/master.m3u8, /hls/<playbackId>/<rung>/index.m3u8 and
//   /hls/<playbackId>/<rung>/seg_<n>.ts (HLS), /thumbnails/<playbackId>.jpg (the
//   poster), /download/<playbackId>.mp4 (faststart MP4, with Range).
// Files are served only once the video is ready, only from its outputs in the
// host's storage (uploads/<id>/media/, hoststorage.h).

#include "host/hostsite.h"
#include "host/hoststorage.h"
#include "host/http/httphandler.h"
#include "host/uploadstore.h"

namespace deso::host {

class PlaybackController {
public:
    explicit PlaybackController(HostStorage &storage);

    // `rest` is the path after "/hls/": "<playbackId>/<file>" or "<playbackId>/<rung>/<file>".
    Admission hls(const HttpRequest &request, const QByteArray &rest) const;
    Admission thumbnail(const HttpRequest &request, const QString &playbackId) const;
    Admission download(const HttpRequest &request, const QString &playbackId) const;

    static QByteArray hlsPrefix() { return "/hls/"; }
    static QByteArray masterPlaylistPath(const QString &playbackId);
    static QByteArray thumbnailPath(const QString &playbackId);
    static QByteArray downloadPath(const QString &playbackId);

private:
    // The ready record of `playbackId`, or the 404 to answer.
    std::shared_ptr<UploadRecord> readyRecord(const QString &playbackId, HttpResponse *notFound) const;
    // `relativePath` inside the ready video's outputs.
    Admission serve(const HttpRequest &request, const UploadRecord &record, const QString &relativePath,
                    const QByteArray &contentType, HeaderList headers = {}) const;

    HostStorage &m_storage;
    UploadStore &m_store;
};

} // namespace deso::host
