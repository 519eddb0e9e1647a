// Prints, in one run: our HLS ladder (+ poster + MP4) of a generated 1080p clip,
// wall time against the clip's duration and against the `ffmpeg` program doing
// the equivalent work in the same run (same rungs, sizes and bitrate caps, x264
// veryfast CRF 23, AAC 128k, the same segment length with keyframes at every
// segment boundary, and the top rung also muxed to a faststart MP4 through the
// tee muxer; only the poster is ours alone), as a ratio; peak RSS; and the remux
// fast path's time on a 720p H.264 source with a keyframe every second.

#include "syntheticclip.h"
#include "testfiles.h"
#include "video/hlstranscoder.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <cmath>
#include <cstdio>
#include <optional>

using deso::video::HlsOptions;
using deso::video::HlsTranscoder;

namespace {

// The `ffmpeg` arguments for the same ladder as ladderFor() gives ours.
QStringList ffmpegLadderArgs(const QString &source, const QString &out, int width, int height, int fps,
                             const HlsOptions &options)
{
    const QList<deso::video::HlsRung> ladder = deso::video::ladderFor(width, height);
    QString graph = QStringLiteral("[0:v]split=%1").arg(ladder.size());
    for (int i = 0; i < ladder.size(); ++i)
        graph += QStringLiteral("[s%1]").arg(i);
    for (int i = 0; i < ladder.size(); ++i)
        graph += QStringLiteral(";[s%1]scale=%2:%3:flags=bicubic[v%1]").arg(i).arg(ladder[i].width).arg(ladder[i].height);
    QStringList args{QStringLiteral("-v"), QStringLiteral("error"), QStringLiteral("-y"), QStringLiteral("-i"), source,
                     QStringLiteral("-filter_complex"), graph};
    const QString segment = QString::number(options.segmentSeconds, 'f', 3);
    const int gop = int(std::ceil(fps * options.segmentSeconds * 2)); // our encoders' backstop interval
    for (int i = 0; i < ladder.size(); ++i) {
        const auto &rung = ladder[i];
        const QString dir = out + QLatin1Char('/') + rung.name;
        QDir().mkpath(dir);
        const QString hls = QStringLiteral("[f=hls:hls_time=%1:hls_playlist_type=vod:hls_list_size=0:"
                                           "hls_flags=independent_segments:hls_segment_filename=%2/seg_%03d.ts]%2/index.m3u8")
                                .arg(segment, dir);
        const bool top = i + 1 == ladder.size();
        args << QStringLiteral("-map") << QStringLiteral("[v%1]").arg(i) << QStringLiteral("-map") << QStringLiteral("0:a?")
             << QStringLiteral("-c:v") << QStringLiteral("libx264") << QStringLiteral("-preset") << options.x264Preset
             << QStringLiteral("-crf") << QStringLiteral("23") << QStringLiteral("-maxrate") << QString::number(rung.videoBitrate)
             << QStringLiteral("-bufsize") << QString::number(rung.videoBitrate * 2) << QStringLiteral("-g") << QString::number(gop)
             << QStringLiteral("-x264-params") << QStringLiteral("scenecut=0:open-gop=0") << QStringLiteral("-force_key_frames")
             << QStringLiteral("expr:gte(t,n_forced*%1)").arg(segment) << QStringLiteral("-c:a") << QStringLiteral("aac")
             << QStringLiteral("-b:a") << QStringLiteral("128k") << QStringLiteral("-f") << QStringLiteral("tee")
             << (top ? hls + QStringLiteral("|[f=mp4:movflags=+faststart]%1/download.mp4").arg(out) : hls);
    }
    return args;
}

double peakRssMiB()
{
    return double(testcommon::procStatusBytes(QCoreApplication::applicationPid(), "VmHWM")) / (1 << 20);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const double seconds = argc > 1 ? QString::fromLatin1(argv[1]).toDouble() : 60.0;
    QTemporaryDir dir;
    const QString source = dir.filePath(QStringLiteral("source1080.mp4"));
    SyntheticClip clip;
    clip.width = 1920;
    clip.height = 1080;
    clip.seconds = seconds;
    clip.fps = 30;
    if (auto s = writeSyntheticClip(source, clip); !s.ok()) {
        std::fprintf(stderr, "cannot generate the clip: %s\n", qPrintable(s.error().message));
        return 1;
    }
    const HlsOptions options;
    const QString ffmpeg = QStandardPaths::findExecutable(QStringLiteral("ffmpeg"));

    // The reference first, so neither run profits from a page cache the other warmed.
    double refSeconds = -1;
    if (!ffmpeg.isEmpty()) {
        const QString out = dir.filePath(QStringLiteral("ref"));
        QDir().mkpath(out);
        QElapsedTimer clock;
        clock.start();
        QProcess p;
        p.start(ffmpeg, ffmpegLadderArgs(source, out, clip.width, clip.height, clip.fps, options));
        p.waitForFinished(-1);
        refSeconds = double(clock.nsecsElapsed()) / 1e9;
        if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
            std::fprintf(stderr, "ffmpeg failed: %s\n", p.readAllStandardError().constData());
            return 1;
        }
    }

    // Peak RSS from here on is the transcode's, not the clip generator's (Linux: "5" resets VmHWM).
    QFile clearRefs(QStringLiteral("/proc/self/clear_refs"));
    const bool peakReset = clearRefs.open(QIODevice::WriteOnly) && clearRefs.write("5") == 1;
    clearRefs.close();
    QElapsedTimer clock;
    clock.start();
    auto ours = HlsTranscoder::transcode(source, dir.filePath(QStringLiteral("ours")), options, nullptr, {});
    const double oursSeconds = double(clock.nsecsElapsed()) / 1e9;
    if (!ours.ok()) {
        std::fprintf(stderr, "transcode failed: %s\n", qPrintable(ours.error().toString()));
        return 1;
    }
    QStringList rungNames;
    for (const auto &r : ours->rungs)
        rungNames << QStringLiteral("%1 %2x%3").arg(r.name).arg(r.width).arg(r.height);
    std::printf("clip: %.1f s 1920x1080 30 fps H.264/AAC; ladder: %s; segments %.1f s, x264 %s\n", seconds,
                qPrintable(rungNames.join(QStringLiteral(", "))), options.segmentSeconds, qPrintable(options.x264Preset));
    std::printf("ours: %.2f s wall = %.2f x the clip's duration (target <= 0.5 on 2 cores); peak RSS %.1f MiB (%s)\n",
                oursSeconds, oursSeconds / seconds, peakRssMiB(),
                peakReset ? "the transcode alone" : "the whole process, clip generation included");
    if (refSeconds < 0)
        std::printf("ffmpeg program: not installed (packaging/install-deps.sh --bench), comparison skipped\n");
    else
        std::printf("ffmpeg program, same ladder + MP4 (no poster): %.2f s; ours / ffmpeg = %.3f (target <= 1.05)\n",
                    refSeconds, oursSeconds / refSeconds);

    // Generates a variant of the clip and times our transcode of it.
    struct Timed { double seconds = 0; QStringList remuxedRungs; };
    auto timeVariant = [&](const QString &name, const SyntheticClip &variant) -> std::optional<Timed> {
        const QString path = dir.filePath(name + QStringLiteral(".mp4"));
        if (auto s = writeSyntheticClip(path, variant); !s.ok()) {
            std::fprintf(stderr, "cannot generate the %s clip: %s\n", qPrintable(name), qPrintable(s.error().message));
            return std::nullopt;
        }
        QElapsedTimer timer;
        timer.start();
        auto out = HlsTranscoder::transcode(path, dir.filePath(name), options, nullptr, {});
        if (!out.ok()) {
            std::fprintf(stderr, "%s transcode failed: %s\n", qPrintable(name), qPrintable(out.error().toString()));
            return std::nullopt;
        }
        return Timed{double(timer.nsecsElapsed()) / 1e9, out->remuxedRungs};
    };

    // The fast path: a 720p H.264 source whose keyframes fall every second is copied
    // into its rung (only 360p is encoded).
    SyntheticClip clip720 = clip;
    clip720.width = 1280;
    clip720.height = 720;
    clip720.keyframeSeconds = 1.0; // at most one segment apart, also at the end of the clip
    const auto remuxed = timeVariant(QStringLiteral("source720"), clip720);
    if (!remuxed)
        return 1;
    std::printf("remux fast path: 720p source, rungs copied: %s; %.2f s wall = %.2f x the clip's duration\n",
                qPrintable(remuxed->remuxedRungs.join(QLatin1Char(','))), remuxed->seconds, remuxed->seconds / seconds);

    // The case as a phone records it: 1080p H.264 with a keyframe every second.
    // Its top rung is the source copied, so only 720p and 360p are encoded.
    SyntheticClip phoneClip = clip;
    phoneClip.keyframeSeconds = 1.0;
    const auto phone = timeVariant(QStringLiteral("phone1080"), phoneClip);
    if (!phone)
        return 1;
    std::printf("1080p source with 1 s keyframes (as phones record): rungs copied: %s; 720p + 360p encoded + poster: "
                "%.2f s wall = %.2f x the clip's duration (target <= 0.5 on 2 cores)\n",
                qPrintable(phone->remuxedRungs.join(QLatin1Char(','))), phone->seconds, phone->seconds / seconds);
    return 0;
}
