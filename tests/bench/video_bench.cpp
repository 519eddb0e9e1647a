// Prints, in one run, for a generated 1080p H.264/AAC clip (5 s keyframes):
// - the issue's row: 720p + 360p HLS + poster (+ the 720p download MP4), and
// - the host's default ladder for that source: 1080p (the source size, kept as the
//   top rung) + 720p + 360p HLS + poster (+ the 1080p MP4);
// each as our wall and CPU time against the clip's duration and against the
// `ffmpeg` program doing the same ladder in the same run (same rungs, sizes and
// bitrate caps, the same x264 preset and CRF 23, AAC 128k, the same segment length
// with keyframes at every segment boundary, the top rung also muxed to a faststart
// MP4 through the tee muxer; only the poster is ours alone), our peak RSS, and the
// quality of both outputs: SSIM (ffmpeg's ssim filter) of each encoded rung below
// the source against the source scaled to that size, with the rung's bytes.
// Then the remux fast path (a 720p source with a keyframe every second) and a
// 1080p source as phones record it (1 s keyframes: its top rung is copied).
// `video_bench [SECONDS] [ROWS]`: ROWS (issue,host,phone,remux) picks or repeats rows;
// `video_bench --file PATH [TOP_LINES]` runs ours alone on a file (for profilers).

#include "syntheticclip.h"
#include "testfiles.h"
#include "video/hlstranscoder.h"

#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>

#include <malloc.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <optional>

using deso::video::HlsOptions;
using deso::video::HlsRung;
using deso::video::HlsTranscoder;

namespace {

// The `ffmpeg` arguments for the same ladder as ladderFor() gives ours.
QStringList ffmpegLadderArgs(const QString &source, const QString &out, const QList<HlsRung> &ladder, int fps,
                             const HlsOptions &options)
{
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

double cpuSeconds(int who)
{
    rusage u{};
    getrusage(who, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double peakRssMiB()
{
    return double(testcommon::procStatusBytes(QCoreApplication::applicationPid(), "VmHWM")) / (1 << 20);
}

// Peak RSS from here on (Linux: "5" resets VmHWM to the current RSS, after the heap
// that earlier steps freed is given back); false where the kernel does not allow it.
bool resetPeakRss()
{
    malloc_trim(0);
    QFile clearRefs(QStringLiteral("/proc/self/clear_refs"));
    return clearRefs.open(QIODevice::WriteOnly) && clearRefs.write("5") == 1;
}

struct Quality {
    double ssim = -1; // ffmpeg's "All" figure, 1 = identical
    double ssimDb = 0;
    qint64 bytes = 0; // the rung's segments
};

// SSIM of one rung (its media playlist) against the source scaled to the rung's size;
// both start at time 0 (the HLS files carry a timestamp offset).
Quality rungQuality(const QString &ffmpeg, const QString &rungDir, const QString &source, const HlsRung &rung)
{
    Quality q;
    QDirIterator it(rungDir, {QStringLiteral("*.ts")}, QDir::Files);
    while (it.hasNext())
        q.bytes += it.nextFileInfo().size();
    const QString graph = QStringLiteral("[0:v]setpts=PTS-STARTPTS[a];[1:v]scale=%1:%2:flags=bicubic,setpts=PTS-STARTPTS[b];"
                                         "[a][b]ssim")
                              .arg(rung.width)
                              .arg(rung.height);
    QProcess p;
    p.start(ffmpeg, {QStringLiteral("-nostats"), QStringLiteral("-v"), QStringLiteral("info"), QStringLiteral("-i"),
                     rungDir + QStringLiteral("/index.m3u8"), QStringLiteral("-i"), source, QStringLiteral("-lavfi"), graph,
                     QStringLiteral("-f"), QStringLiteral("null"), QStringLiteral("-")});
    p.waitForFinished(-1);
    const QString log = QString::fromUtf8(p.readAllStandardError());
    const auto m = QRegularExpression(QStringLiteral("SSIM .*All:([0-9.]+) \\(([0-9.]+|inf)\\)")).match(log);
    if (m.hasMatch()) {
        q.ssim = m.captured(1).toDouble();
        q.ssimDb = m.captured(2).toDouble();
    }
    return q;
}

struct Row {
    QString name;
    double seconds = 0, cpu = 0, rss = 0;
    double refSeconds = -1, refCpu = -1;
    QStringList quality; // "720p ours 0.9871 (18.9 dB, 9.1 MB) / ffmpeg ..."
    QStringList remuxed;
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    // `video_bench --file PATH [TOP_LINES]`: ours alone on that file (for profilers).
    if (argc > 2 && QByteArray(argv[1]) == "--file") {
        QTemporaryDir out;
        HlsOptions options;
        if (argc > 3)
            options.topRungLines = QString::fromLatin1(argv[3]).toInt();
        resetPeakRss();
        const double before = double(testcommon::procStatusBytes(QCoreApplication::applicationPid(), "VmRSS")) / (1 << 20);
        const double cpu0 = cpuSeconds(RUSAGE_SELF);
        QElapsedTimer clock;
        clock.start();
        auto r = HlsTranscoder::transcode(QString::fromLocal8Bit(argv[2]), out.filePath(QStringLiteral("hls")), options,
                                          nullptr, {});
        if (!r.ok()) {
            std::fprintf(stderr, "transcode failed: %s\n", qPrintable(r.error().toString()));
            return 1;
        }
        std::printf("%.2f s wall, %.1f s CPU, peak RSS %.0f MiB (%.0f MiB before), %.1f s clip, copied: %s\n",
                    double(clock.nsecsElapsed()) / 1e9, cpuSeconds(RUSAGE_SELF) - cpu0, peakRssMiB(), before,
                    r->source.durationSeconds,
                    qPrintable(r->remuxedRungs.join(QLatin1Char(','))));
        return 0;
    }
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
    const QString ffmpeg = QStandardPaths::findExecutable(QStringLiteral("ffmpeg"));
    const bool peakReset = resetPeakRss();

    // Ours and the reference on one source and ladder: the reference first, so neither
    // profits from a page cache the other warmed.
    auto compare = [&](const QString &name, const HlsOptions &options) -> std::optional<Row> {
        Row row;
        row.name = name;
        const QList<HlsRung> ladder = deso::video::ladderFor(clip.width, clip.height, options.topRungLines);
        const QString refOut = dir.filePath(name + QStringLiteral("-ffmpeg"));
        if (!ffmpeg.isEmpty()) {
            QDir().mkpath(refOut);
            const double cpu0 = cpuSeconds(RUSAGE_CHILDREN);
            QElapsedTimer clock;
            clock.start();
            QProcess p;
            p.start(ffmpeg, ffmpegLadderArgs(source, refOut, ladder, clip.fps, options));
            p.waitForFinished(-1);
            row.refSeconds = double(clock.nsecsElapsed()) / 1e9;
            row.refCpu = cpuSeconds(RUSAGE_CHILDREN) - cpu0;
            if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
                std::fprintf(stderr, "ffmpeg failed: %s\n", p.readAllStandardError().constData());
                return std::nullopt;
            }
        }
        const QString ourOut = dir.filePath(name + QStringLiteral("-ours"));
        resetPeakRss();
        const double cpu0 = cpuSeconds(RUSAGE_SELF);
        QElapsedTimer clock;
        clock.start();
        auto ours = HlsTranscoder::transcode(source, ourOut, options, nullptr, {});
        row.seconds = double(clock.nsecsElapsed()) / 1e9;
        row.cpu = cpuSeconds(RUSAGE_SELF) - cpu0;
        row.rss = peakRssMiB();
        if (!ours.ok()) {
            std::fprintf(stderr, "transcode failed: %s\n", qPrintable(ours.error().toString()));
            return std::nullopt;
        }
        row.remuxed = ours->remuxedRungs;
        for (const HlsRung &rung : ours->rungs) {
            if (rung.height >= clip.height || ffmpeg.isEmpty())
                continue; // the source-size rung is measured by its neighbours' figures
            const Quality mine = rungQuality(ffmpeg, ourOut + QLatin1Char('/') + rung.name, source, rung);
            const Quality theirs = rungQuality(ffmpeg, refOut + QLatin1Char('/') + rung.name, source, rung);
            row.quality << QStringLiteral("%1 SSIM ours %2 (%3 dB, %4 MB) / ffmpeg %5 (%6 dB, %7 MB)")
                               .arg(rung.name)
                               .arg(mine.ssim, 0, 'f', 4)
                               .arg(mine.ssimDb, 0, 'f', 2)
                               .arg(double(mine.bytes) / 1e6, 0, 'f', 2)
                               .arg(theirs.ssim, 0, 'f', 4)
                               .arg(theirs.ssimDb, 0, 'f', 2)
                               .arg(double(theirs.bytes) / 1e6, 0, 'f', 2);
        }
        return row;
    };

    // Each row is printed as soon as it is measured (a 60 s run takes minutes per row).
    const HlsOptions defaults;
    std::printf("clip: %.1f s 1920x1080 30 fps H.264/AAC, generated; segments %.1f s; x264 %s CRF 23 (ours and ffmpeg); "
                "%d cores; peak RSS: %s\n\n",
                seconds, defaults.segmentSeconds, qPrintable(defaults.x264Preset), QThread::idealThreadCount(),
                peakReset ? "each transcode alone" : "the whole process (VmHWM cannot be reset here)");
    if (ffmpeg.isEmpty())
        std::printf("ffmpeg program: not installed (packaging/install-deps.sh --bench), comparison and SSIM skipped\n\n");
    std::printf("| row | ours wall s | ours CPU s | ffmpeg wall s | ffmpeg CPU s | ours / ffmpeg (target <= 1.05) | "
                "ours / duration (target <= 0.5) | ours peak RSS MiB |\n|---|---|---|---|---|---|---|---|\n");
    std::fflush(stdout);
    QStringList notes;
    auto printRow = [&](const QString &label, const Row &r) {
        const QString ref = r.refSeconds < 0 ? QStringLiteral("—") : QString::number(r.refSeconds, 'f', 2);
        const QString refCpu = r.refCpu < 0 ? QStringLiteral("—") : QString::number(r.refCpu, 'f', 1);
        const QString ratio = r.refSeconds < 0 ? QStringLiteral("—") : QString::number(r.seconds / r.refSeconds, 'f', 3);
        std::printf("| %s | %.2f | %.1f | %s | %s | %s | %.2f | %.0f |\n", qPrintable(label), r.seconds, r.cpu, qPrintable(ref),
                    qPrintable(refCpu), qPrintable(ratio), r.seconds / seconds, r.rss);
        std::fflush(stdout);
        if (!r.quality.isEmpty())
            notes << QStringLiteral("quality, %1: %2").arg(label, r.quality.join(QStringLiteral("; ")));
        if (!r.remuxed.isEmpty())
            notes << QStringLiteral("rungs copied, %1: %2").arg(label, r.remuxed.join(QLatin1Char(',')));
    };

    // Ours alone on a variant of the clip (default ladder).
    auto timeVariant = [&](const QString &name, const SyntheticClip &variant) -> std::optional<Row> {
        const QString path = dir.filePath(name + QStringLiteral(".mp4"));
        if (!QFile::exists(path)) {
            if (auto s = writeSyntheticClip(path, variant); !s.ok()) {
                std::fprintf(stderr, "cannot generate the %s clip: %s\n", qPrintable(name), qPrintable(s.error().message));
                return std::nullopt;
            }
        }
        Row row;
        resetPeakRss();
        const double cpu0 = cpuSeconds(RUSAGE_SELF);
        QElapsedTimer timer;
        timer.start();
        const QString out = dir.filePath(name + QStringLiteral("-out"));
        auto result = HlsTranscoder::transcode(path, out, HlsOptions{}, nullptr, {});
        row.seconds = double(timer.nsecsElapsed()) / 1e9;
        row.cpu = cpuSeconds(RUSAGE_SELF) - cpu0;
        row.rss = peakRssMiB();
        QDir(out).removeRecursively(); // a repeated row starts from an empty folder
        if (!result.ok()) {
            std::fprintf(stderr, "%s transcode failed: %s\n", qPrintable(name), qPrintable(result.error().toString()));
            return std::nullopt;
        }
        row.remuxed = result->remuxedRungs;
        return row;
    };

    // `video_bench [SECONDS] [ROWS]`: ROWS picks and repeats rows, e.g. "issue,issue" (default: all four once).
    const QStringList rows = argc > 2 ? QString::fromLatin1(argv[2]).split(QLatin1Char(','))
                                      : QStringList{QStringLiteral("issue"), QStringLiteral("host"), QStringLiteral("phone"),
                                                    QStringLiteral("remux")};
    for (qsizetype i = 0; i < rows.size(); ++i) {
        const QString run = QStringLiteral("%1-%2").arg(rows[i]).arg(i);
        if (rows[i] == QLatin1String("issue")) {
            HlsOptions issueRow;
            issueRow.topRungLines = 720;
            const auto issue = compare(run, issueRow);
            if (!issue)
                return 1;
            printRow(QStringLiteral("issue: 1080p (5 s keyframes) -> 720p + 360p HLS + poster + 720p MP4"), *issue);
        } else if (rows[i] == QLatin1String("host")) {
            const auto host = compare(run, HlsOptions{});
            if (!host)
                return 1;
            // Named by what happened: a clip shorter than one keyframe interval (5 s) has its
            // 1080p rung copied, and the ffmpeg reference then does more work than ours.
            printRow(host->remuxed.isEmpty()
                         ? QStringLiteral("host default ladder for it: 1080p + 720p + 360p encoded + poster + 1080p MP4")
                         : QStringLiteral("host default ladder for it: %1 copied (the clip is shorter than a keyframe "
                                          "interval), the rest encoded + poster; ffmpeg encodes all")
                               .arg(host->remuxed.join(QLatin1Char(','))),
                     *host);
        } else if (rows[i] == QLatin1String("phone")) {
            SyntheticClip phoneClip = clip;
            phoneClip.keyframeSeconds = 1.0; // at most one segment apart, also at the end of the clip
            const auto phone = timeVariant(QStringLiteral("phone1080"), phoneClip);
            if (!phone)
                return 1;
            printRow(QStringLiteral("1080p, 1 s keyframes (as phones record): 1080p copied, 720p + 360p encoded + poster"),
                     *phone);
        } else if (rows[i] == QLatin1String("remux")) {
            SyntheticClip clip720 = clip;
            clip720.width = 1280;
            clip720.height = 720;
            clip720.keyframeSeconds = 1.0;
            const auto remuxed = timeVariant(QStringLiteral("source720"), clip720);
            if (!remuxed)
                return 1;
            printRow(QStringLiteral("remux fast path: 720p source (1 s keyframes): 720p copied, 360p encoded + poster"),
                     *remuxed);
        } else {
            std::fprintf(stderr, "unknown row %s (issue, host, phone, remux)\n", qPrintable(rows[i]));
            return 2;
        }
    }
    std::printf("\n%s\n", qPrintable(notes.join(QLatin1Char('\n'))));
    return 0;
}
