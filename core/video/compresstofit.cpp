#include "video/compresstofit.h"

#include "common/datasize.h"

#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cmath>

namespace deso::video {

namespace {

// MP4 boxes (moov's sample tables grow with the running time) and the encoder's
// small misses: the share of the target the streams may not use, plus a floor.
constexpr double kContainerMargin = 0.04;
constexpr qint64 kContainerFloorBytes = 64 * 1024;
constexpr double kMinBitsPerPixel = 0.04; // at 30 fps: 720p ~ 1.1 Mbit/s
constexpr int kMinVideoBitrate = 80000;

int evenDown(double v)
{
    const int i = int(v);
    return std::max(2, i - (i % 2));
}

// The stream bitrates (bits per second) that fill `bytes` over `seconds`.
int streamBitrate(qint64 bytes, double seconds)
{
    const double usable = double(bytes) * (1.0 - kContainerMargin) - double(kContainerFloorBytes);
    return int(std::clamp(usable * 8.0 / seconds, 0.0, 2e9));
}

} // namespace

Result<FitPlan> planFit(const VideoInfo &source, qint64 targetBytes)
{
    if (source.durationSeconds <= 0 || source.width <= 0 || source.height <= 0)
        return Error(kErrMalformedVideo, QStringLiteral("The video's running time or picture size cannot be read, so no "
                                                        "bitrate can be chosen for a smaller copy."));
    const int total = streamBitrate(targetBytes, source.durationSeconds);
    const int audio = std::clamp(total / 10 / 8000 * 8000, 48000, 128000);
    const int video = total - audio;
    if (video < kMinVideoBitrate)
        return Error(kErrFitTooLong, QStringLiteral("A %1-second video cannot fit in %2: the picture would get under %3 "
                                                    "kbit/s. Choose a larger size or trim the video.")
                                         .arg(std::lround(source.durationSeconds)).arg(humanSize(targetBytes))
                                         .arg(kMinVideoBitrate / 1000));
    const int shortSide = std::min(source.width, source.height);
    const double longPerShort = double(std::max(source.width, source.height)) / shortSide;
    const bool portrait = source.height > source.width;
    FitPlan plan;
    plan.targetBytes = targetBytes;
    plan.encoding.videoBitrate = video;
    plan.encoding.audioBitrate = audio;
    int lines = 0;
    for (int candidate : {std::min(shortSide, 1080), 720, 540, 480, 360, 240}) {
        if (candidate > shortSide)
            continue;
        lines = candidate;
        const double pixels = double(candidate) * candidate * longPerShort;
        if (video / (pixels * 30.0) >= kMinBitsPerPixel)
            break;
    }
    const int s = evenDown(lines), l = evenDown(lines * longPerShort);
    plan.encoding.width = portrait ? s : l;
    plan.encoding.height = portrait ? l : s;
    return plan;
}

Result<FittedVideo> compressToFit(const QString &inputPath, const QString &outputPath, qint64 targetBytes,
                                  const std::atomic<bool> *cancel, const ProgressCallback &progress)
{
    auto source = VideoProbe::probe(inputPath);
    if (!source.ok())
        return source.error();
    auto plan = planFit(source.value(), targetBytes);
    if (!plan.ok())
        return plan.error();
    const QString staging = outputPath + QStringLiteral(".partial");
    Mp4Encoding encoding = plan->encoding;
    qint64 missedBy = 0;
    for (int attempt = 1; attempt <= 2; ++attempt) {
        QFile::remove(staging);
        auto encoded = HlsTranscoder::encodeMp4(inputPath, staging, encoding, cancel, progress);
        if (!encoded.ok()) {
            QFile::remove(staging);
            return encoded.error();
        }
        const qint64 bytes = QFileInfo(staging).size();
        if (bytes > 0 && bytes <= targetBytes) {
            auto result = VideoProbe::probe(staging);
            if (!result.ok()) {
                QFile::remove(staging);
                return Error(kErrTranscode, QStringLiteral("The smaller copy cannot be read back: %1").arg(result.error().message), 500);
            }
            QFile::remove(outputPath);
            if (!QFile::rename(staging, outputPath)) {
                QFile::remove(staging);
                return Error(kErrTranscode, QStringLiteral("Cannot store the smaller copy at %1.").arg(outputPath), 500);
            }
            FittedVideo fitted;
            fitted.path = outputPath;
            fitted.bytes = bytes;
            fitted.attempts = attempt;
            fitted.encoding = encoding;
            fitted.result = result.value();
            fitted.sourceDurationSeconds = source->durationSeconds;
            return fitted;
        }
        missedBy = bytes - targetBytes;
        // The streams took `bytes`; scale the picture's share by what fits, with
        // a further 5 % so one more miss of the same kind still lands inside.
        const double audioBytes = double(encoding.audioBitrate) / 8.0 * source->durationSeconds;
        const double videoBytes = std::max(1.0, double(bytes) - audioBytes);
        const double wantedVideo = double(targetBytes) * (1.0 - kContainerMargin) - kContainerFloorBytes - audioBytes;
        encoding.videoBitrate = int(double(encoding.videoBitrate) * std::max(0.1, wantedVideo / videoBytes) * 0.95);
        if (encoding.videoBitrate < kMinVideoBitrate)
            break;
    }
    QFile::remove(staging);
    return Error(kErrFitMissed, QStringLiteral("The smaller copy came out %1 over the %2 target twice; choose a larger "
                                               "size.").arg(humanSize(missedBy), humanSize(targetBytes)));
}

} // namespace deso::video
