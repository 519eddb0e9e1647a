#pragma once
// The FFmpeg half of core/video lives in a module, libdeso-media-video.so, loaded on
// first use: linking libavformat and libavcodec pulls about 135 shared libraries into
// every process, and loading them took 60-130 ms of each `deso-media` start on the
// 2-core machines (most of the CLI's time for a short upload, issue 15), while only
// processing, probing and compress-to-fit need them. core keeps the public API
// (VideoProbe, HlsTranscoder, compressToFit); videoengine.cpp forwards those calls
// to the module through one table of functions. Private to core/video.

#include "common/result.h"
#include "video/hlstranscoder.h"

namespace deso::video {

// The module's implementations (videoprobe.cpp, hlstranscoder.cpp).
Result<VideoInfo> ffmpegProbe(const QString &path);
Result<HlsOutput> ffmpegTranscode(const QString &inputPath, const QString &outputDir, const HlsOptions &options,
                                  const std::atomic<bool> *cancel, const ProgressCallback &progress);
Result<VideoInfo> ffmpegEncodeMp4(const QString &inputPath, const QString &outputPath, const Mp4Encoding &encoding,
                                  const std::atomic<bool> *cancel, const ProgressCallback &progress);

struct VideoEngine {
    // The module and core pass C++ types (QString, Result, std::function) to each other,
    // so they must come from the same build: the stamp is the build's, compared on load.
    const char *buildStamp;
    decltype(&ffmpegProbe) probe;
    decltype(&ffmpegTranscode) transcode;
    decltype(&ffmpegEncodeMp4) encodeMp4;
};

// Loads the module once (thread-safe) and returns its table, or why it cannot be had
// (code video.engine_unavailable): missing file, a module of another build, dlopen's error.
Result<const VideoEngine *> videoEngine();

// The module's file name, and the environment variable that names another path for it.
inline constexpr char kVideoEngineFile[] = "libdeso-media-video.so";
inline constexpr char kVideoEngineEnv[] = "DESO_MEDIA_VIDEO_ENGINE";

} // namespace deso::video

// The module's one exported symbol.
extern "C" const deso::video::VideoEngine *deso_media_video_engine();
