#pragma once
// Reads a finished video's container with FFmpeg's libavformat: duration and
// the first video stream's dimensions, or the video service's error codes.
// Blocking file I/O: call it off the server/UI thread (QtConcurrent).

#include "common/result.h"

#include <QString>

namespace deso::video {

struct VideoInfo {
    double durationSeconds = 0;
    int width = 0;
    int height = 0;
    QString formatName;  // libavformat's short name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    QString videoCodec;  // e.g. "h264"
    QString mimeType;    // for serving, e.g. "video/mp4"
};

// Error codes, as the video service names them.
inline const QString kErrNonVideo = QStringLiteral("ERR_NON_VIDEO");
inline const QString kErrMalformedVideo = QStringLiteral("ERR_MALFORMED_VIDEO");

class VideoProbe {
public:
    // Error.code is ERR_NON_VIDEO (not a video container / no video stream) or
    // ERR_MALFORMED_VIDEO (a video container that cannot be read).
    static Result<VideoInfo> probe(const QString &path);
};

} // namespace deso::video
