#pragma once
// Turns an uploaded video into what viewers get: an adaptive HLS ladder
// (H.264 + AAC in MPEG-TS segments, keyframes aligned across rungs, a master
// playlist and one media playlist per rung), a poster JPEG and thumbnails, and
// an MP4 with its moov box first for download. FFmpeg's libraries do the work:
// the calling thread reads and decodes the source once and scales each rung from
// the next bigger picture (360p from 720p); each rung has a worker thread that
// encodes and muxes it, fed through a bounded queue, so the rungs' x264 encoders
// run side by side (their threads shared out by each rung's share of the pixels).
// Blocking and CPU-heavy: run it on a VideoJobPool thread, never the UI/server
// thread. Memory stays bounded: packets stream from the source to the outputs,
// at most a few MiB of pictures wait per rung, plus x264's own lookahead frames.

#include "common/result.h"
#include "video/videoprobe.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>

namespace deso::video {

struct HlsRung {
    int width = 0;
    int height = 0;
    int videoBitrate = 0;  // the encoder's cap (maxrate), bits per second
    QString name;          // folder and playlist name, e.g. "720p"
};

// The rungs for a source of that size, smallest first: 360p and 720p below the
// source, never above it; a source up to `topLines` (1080p by default) is kept as
// the top rung at its own size, a larger one tops out at `topLines` ("p" = the
// short side, so portrait clips get the same ladder turned). Sizes keep the
// aspect, even numbers.
QList<HlsRung> ladderFor(int sourceWidth, int sourceHeight, int topLines = 1080);

struct HlsOptions {
    double segmentSeconds = 2.0;
    QString x264Preset = QStringLiteral("veryfast");
    int topRungLines = 1080; // the tallest rung (short side); a bigger source is scaled down to it
    int thumbnailCount = 3;
};

struct HlsOutput {
    QString directory;
    QString masterPlaylist;    // <dir>/master.m3u8
    QString posterPath;        // <dir>/poster.jpg
    QStringList thumbnailPaths;// <dir>/thumb_<n>.jpg
    QString downloadPath;      // <dir>/download.mp4 (faststart)
    QList<HlsRung> rungs;
    QStringList remuxedRungs;  // rungs copied from the source (the fast path), by name
    VideoInfo source;
};

// Called from the transcoding thread with 0..1.
using ProgressCallback = std::function<void(double)>;

// Error codes besides the probe's ERR_NON_VIDEO / ERR_MALFORMED_VIDEO.
inline const QString kErrCancelled = QStringLiteral("video.cancelled");
inline const QString kErrTranscode = QStringLiteral("video.transcode");
inline const QString kErrDiskFull = QStringLiteral("video.disk_full"); // ENOSPC while writing outputs

// One H.264/AAC MP4 (moov first) at this picture size and these average
// bitrates: what compress-to-fit (video/compresstofit.h) asks for.
struct Mp4Encoding {
    int width = 0;          // even, at most the source's
    int height = 0;
    int videoBitrate = 0;   // bits per second, average
    int audioBitrate = 128000;
};

class HlsTranscoder {
public:
    // Writes everything into `outputDir` (created; must not hold an earlier run's
    // files). On an error or cancellation the partial files stay for the caller
    // to remove (it owns the directory).
    static Result<HlsOutput> transcode(const QString &inputPath, const QString &outputDir, const HlsOptions &options,
                                       const std::atomic<bool> *cancel, const ProgressCallback &progress);

    // Writes `outputPath` only (its folder must exist); returns the source's probe.
    // On an error or cancellation a partial file may stay for the caller to remove.
    static Result<VideoInfo> encodeMp4(const QString &inputPath, const QString &outputPath, const Mp4Encoding &encoding,
                                       const std::atomic<bool> *cancel, const ProgressCallback &progress);

    static QString masterPlaylistName() { return QStringLiteral("master.m3u8"); }
    static QString posterName() { return QStringLiteral("poster.jpg"); }
    static QString downloadName() { return QStringLiteral("download.mp4"); }
};

} // namespace deso::video
