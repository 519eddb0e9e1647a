// Prints, in one run: our HLS ladder (+ poster + MP4) of a generated 1080p clip,
// wall time against the clip's duration and against the `ffmpeg` program doing
// the same ladder (skipped when the program is missing), and peak RSS.

#include "syntheticclip.h"
#include "testfiles.h"
#include "video/hlstranscoder.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <cstdio>

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

    QElapsedTimer clock;
    clock.start();
    auto ours = deso::video::HlsTranscoder::transcode(source, dir.filePath(QStringLiteral("ours")), {}, nullptr, {});
    const double oursSeconds = double(clock.nsecsElapsed()) / 1e9;
    if (!ours.ok()) {
        std::fprintf(stderr, "transcode failed: %s\n", qPrintable(ours.error().toString()));
        return 1;
    }
    std::printf("clip: %.1f s 1920x1080 H.264/AAC; ladder %lld rungs\n", seconds, qlonglong(ours->rungs.size()));
    std::printf("ours: %.2f s wall = %.2f x the clip's duration (target <= 0.5 on 2 cores)\n", oursSeconds,
                oursSeconds / seconds);
    std::printf("peak RSS: %.1f MiB\n", double(testcommon::procStatusBytes(QCoreApplication::applicationPid(), "VmHWM")) / (1 << 20));

    const QString ffmpeg = QStandardPaths::findExecutable(QStringLiteral("ffmpeg"));
    if (ffmpeg.isEmpty()) {
        std::printf("ffmpeg program: not installed (packaging/install-deps.sh --bench), comparison skipped\n");
        return 0;
    }
    // The same work: one decode split to three scales, x264 veryfast CRF 23 capped,
    // AAC, 2 s HLS segments with keyframes every 2 s, plus a poster frame.
    const QString out = dir.filePath(QStringLiteral("ref"));
    QDir().mkpath(out);
    QStringList args{QStringLiteral("-v"), QStringLiteral("error"), QStringLiteral("-i"), source,
                     QStringLiteral("-filter_complex"),
                     QStringLiteral("[0:v]split=3[a][b][c];[b]scale=1280:720[b2];[c]scale=640:360[c2]")};
    const QList<QPair<QString, QString>> rungs{{QStringLiteral("[a]"), QStringLiteral("1080p")},
                                               {QStringLiteral("[b2]"), QStringLiteral("720p")},
                                               {QStringLiteral("[c2]"), QStringLiteral("360p")}};
    for (const auto &[label, name] : rungs) {
        QDir().mkpath(out + QLatin1Char('/') + name);
        args << QStringLiteral("-map") << label << QStringLiteral("-map") << QStringLiteral("0:a?")
             << QStringLiteral("-c:v") << QStringLiteral("libx264") << QStringLiteral("-preset") << QStringLiteral("veryfast")
             << QStringLiteral("-crf") << QStringLiteral("23") << QStringLiteral("-force_key_frames")
             << QStringLiteral("expr:gte(t,n_forced*2)") << QStringLiteral("-c:a") << QStringLiteral("aac")
             << QStringLiteral("-f") << QStringLiteral("hls") << QStringLiteral("-hls_time") << QStringLiteral("2")
             << QStringLiteral("-hls_playlist_type") << QStringLiteral("vod") << out + QLatin1Char('/') + name + QStringLiteral("/index.m3u8");
    }
    clock.restart();
    QProcess p;
    p.start(ffmpeg, args);
    p.waitForFinished(-1);
    const double refSeconds = double(clock.nsecsElapsed()) / 1e9;
    if (p.exitCode() != 0) {
        std::fprintf(stderr, "ffmpeg failed: %s\n", p.readAllStandardError().constData());
        return 1;
    }
    std::printf("ffmpeg program, same ladder (no poster/MP4): %.2f s; ours / ffmpeg = %.2f (target <= 1.05)\n", refSeconds,
                oursSeconds / refSeconds);
    return 0;
}
