#pragma once
// Compress-to-fit: a smaller H.264/AAC MP4 copy of a video that is over a
// server's size limit (the node's 250 MiB, or a size the creator chose). The
// bitrate comes from the running time and the target size, less a margin for
// the container; single-pass x264 can overshoot, so a copy that does not fit is
// made once more at a bitrate lowered by what the first try missed. The result
// is never over the target: a second miss is an error, not a file. The source
// is only read. Blocking and CPU-heavy: run it off the UI thread.

#include "common/result.h"
#include "video/hlstranscoder.h"

namespace deso::video {

// Error codes of compress-to-fit (besides the probe's and kErrCancelled).
inline const QString kErrFitTooLong = QStringLiteral("video.fit_too_long");
inline const QString kErrFitMissed = QStringLiteral("video.fit_missed");

// What the first try asks the encoder for.
struct FitPlan {
    Mp4Encoding encoding;
    qint64 targetBytes = 0;
};

// The encoding for `source` within `targetBytes`: the largest picture among the
// source's own size (1080p at most) and 720p, 540p, 480p, 360p, 240p that keeps
// about 0.04 bit per pixel at 30 fps, never upscaled; audio 48-128 kbit/s.
// Error kErrFitTooLong when even 240p would get under 80 kbit/s.
Result<FitPlan> planFit(const VideoInfo &source, qint64 targetBytes);

struct FittedVideo {
    QString path;
    qint64 bytes = 0;
    int attempts = 0;          // 1, or 2 when the first try did not fit
    Mp4Encoding encoding;      // of the copy that fit
    VideoInfo result;          // the copy, probed
    double sourceDurationSeconds = 0;
};

// Writes the copy to `outputPath` (staged beside it, renamed when it fits).
// Progress 0..1 per try.
Result<FittedVideo> compressToFit(const QString &inputPath, const QString &outputPath, qint64 targetBytes,
                                  const std::atomic<bool> *cancel, const ProgressCallback &progress);

} // namespace deso::video
