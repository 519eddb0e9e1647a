// The deso-media executable's command line, run as a real process.
#include "common/version.h"
#include "processrun.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QImage>
#include <QtTest>

class TestCli : public QObject {
    Q_OBJECT

    using Run = testcommon::ProcessRun;

    static Run run(const QStringList &args, int timeoutMs = 30000)
    {
        return testcommon::runProcess(QStringLiteral(DESO_MEDIA_BIN), args, QProcessEnvironment::systemEnvironment(),
                                      timeoutMs);
    }

    // 4 KiB that no demuxer reads as a container, named like a video; empty on failure.
    static QString writeNotAVideo(const QTemporaryDir &dir)
    {
        const QString path = dir.filePath(QStringLiteral("random.mp4"));
        QFile f(path);
        if (!dir.isValid() || !f.open(QIODevice::WriteOnly) || f.write(QByteArray(4096, 'x')) != 4096)
            return {};
        return path;
    }

    // The upload-video arguments of these tests: nobody listens on port 9, no retries.
    static QStringList uploadToNowhere()
    {
        return {QStringLiteral("upload-video"), QStringLiteral("--node"), QStringLiteral("http://127.0.0.1:9"),
                QStringLiteral("--public-key"), QStringLiteral("x"), QStringLiteral("--jwt"), QStringLiteral("y"),
                QStringLiteral("--retries"), QStringLiteral("0")};
    }

private slots:
    void versionPrintsTheVersion()
    {
        const Run r = run({QStringLiteral("--version")});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out.trimmed(), QStringLiteral("deso-media " DESO_MEDIA_VERSION));
    }

    void helpListsTheOptions()
    {
        const Run r = run({QStringLiteral("--help")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QStringLiteral("--serve")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("--version")), qPrintable(r.out));
    }

    void unknownOptionIsAUsageError()
    {
        const Run r = run({QStringLiteral("--no-such-option")});
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.contains(QStringLiteral("no-such-option")), qPrintable(r.err));
    }

    // FFmpeg comes in through the video engine module only when video is probed or
    // processed (core/video/videoengine.h): the executable does not need it, and a
    // client command that touches no video never maps it.
    void ffmpegIsLoadedOnlyForVideoWork()
    {
        QProcess readelf;
        readelf.start(QStringLiteral("readelf"), {QStringLiteral("-d"), QStringLiteral(DESO_MEDIA_BIN)});
        QVERIFY(readelf.waitForFinished(30000));
        const QByteArray dynamic = readelf.readAllStandardOutput();
        QVERIFY2(dynamic.contains("NEEDED"), dynamic.constData());
        QVERIFY2(!dynamic.contains("libavformat") && !dynamic.contains("libavcodec"), dynamic.constData());

        // LD_DEBUG=files names every object the loader maps, at start and by dlopen.
        QTemporaryDir dir;
        const QString notVideo = writeNotAVideo(dir);
        QVERIFY(!notVideo.isEmpty());
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("LD_DEBUG"), QStringLiteral("files"));
        const QStringList upload = uploadToNowhere();
        const Run plain = testcommon::runProcess(QStringLiteral(DESO_MEDIA_BIN), upload + QStringList{notVideo}, env, 30000);
        QVERIFY2(plain.exitCode != 0, qPrintable(plain.err.right(2000))); // nobody listens on port 9
        QVERIFY2(!plain.err.contains(QStringLiteral("libavformat")), "an upload without --fit mapped FFmpeg");
        QVERIFY2(!plain.err.contains(QStringLiteral("libdeso-media-video")), "an upload without --fit loaded the video engine");

        // --fit probes the file first: the engine loads, and says what the file is.
        const Run fit = testcommon::runProcess(QStringLiteral(DESO_MEDIA_BIN),
                                               upload + QStringList{QStringLiteral("--fit"), QStringLiteral("1K"), notVideo}, env, 30000);
        QVERIFY(fit.exitCode != 0);
        QVERIFY2(fit.err.contains(QStringLiteral("libdeso-media-video")), qPrintable(fit.err.right(2000)));
        QVERIFY2(fit.err.contains(QStringLiteral("libavformat")), qPrintable(fit.err.right(2000)));
        // The probe's own sentence for bytes that are no container (not the engine's error).
        const QString said = fit.out + fit.err;
        QVERIFY2(said.contains(QStringLiteral("container cannot be read")) || said.contains(QStringLiteral("is not a video")),
                 qPrintable(fit.out + fit.err.right(2000)));
        QVERIFY(!(fit.out + fit.err).contains(QStringLiteral("video engine")));
    }

    // Without its engine, video work fails with a sentence, not a crash.
    void aMissingVideoEngineIsAClearError()
    {
        QTemporaryDir dir;
        const QString notVideo = writeNotAVideo(dir);
        QVERIFY(!notVideo.isEmpty());
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("DESO_MEDIA_VIDEO_ENGINE"), dir.filePath(QStringLiteral("missing.so")));
        const Run r = testcommon::runProcess(QStringLiteral(DESO_MEDIA_BIN),
                                             uploadToNowhere() + QStringList{QStringLiteral("--fit"), QStringLiteral("1K"), notVideo},
                                             env, 30000);
        QVERIFY(r.exitCode != 0);
        QVERIFY2((r.out + r.err).contains(QStringLiteral("The video engine could not be loaded")), qPrintable(r.out + r.err));
    }

    void checksumAlgorithmIsChecked()
    {
        const Run r = run({QStringLiteral("upload-video"), QStringLiteral("--node"), QStringLiteral("http://127.0.0.1:9"),
                           QStringLiteral("--checksum"), QStringLiteral("sha3"), QStringLiteral("clip.mp4")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("crc32")), qPrintable(r.err));
    }

    void screenshotRendersTheWindowWithQueuedFiles()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QImage img(64, 48, QImage::Format_RGB32);
        img.fill(Qt::darkCyan);
        const QString imagePath = dir.filePath(QStringLiteral("photo.png"));
        QVERIFY(img.save(imagePath));
        const QString shot = dir.filePath(QStringLiteral("window.png"));
        const Run r = run({QStringLiteral("--screenshot"), shot, imagePath});
        QCOMPARE(r.exitCode, 0);
        QImage grabbed(shot);
        QVERIFY2(!grabbed.isNull(), qPrintable(r.err));
        QVERIFY(grabbed.width() >= 400 && grabbed.height() >= 300);
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
