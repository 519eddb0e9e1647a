// Compress-to-fit (issue 14) on real clips made in the test: core/video's
// compressToFit forced under a small limit (the copy fits, probes, keeps its
// running time), its plan and its refusals, cancellation; and end to end, the
// command line's `upload-video --fit SIZE` against a real host on loopback: what
// the host stores is the copy that fits, the original file is untouched, and the
// host processes the copy to ready.

#include "host/endpointhost.h"
#include "nodetest/sampleclip.h"
#include "upload/uploadfile.h"
#include "processrun.h"
#include "syntheticclip.h"
#include "testfiles.h"
#include "video/compresstofit.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

extern "C" {
#include <libavutil/log.h>
}

using namespace deso;
using namespace deso::video;

class TestCompressToFit : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_clip; // 1280x720, 6 s, with audio
    qint64 m_clipBytes = 0;
    double m_clipSeconds = 0;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        av_log_set_level(AV_LOG_QUIET);
        m_clip = m_dir.filePath(QStringLiteral("src720.mp4"));
        SyntheticClip clip;
        clip.width = 1280;
        clip.height = 720;
        clip.seconds = 6.0;
        auto s = writeSyntheticClip(m_clip, clip);
        QVERIFY2(s.ok(), s.ok() ? "" : qPrintable(s.error().message));
        m_clipBytes = QFileInfo(m_clip).size();
        auto probed = VideoProbe::probe(m_clip);
        QVERIFY(probed.ok());
        m_clipSeconds = probed->durationSeconds;
        qInfo("source: %lld bytes, %.2f s", qlonglong(m_clipBytes), m_clipSeconds);
    }

    void copyFitsPlaysAndKeepsItsLength()
    {
        const qint64 target = m_clipBytes / 4;
        QVERIFY2(planFit(VideoProbe::probe(m_clip).value(), target).ok(), "the test clip is too small to shrink 4x");
        const QString out = m_dir.filePath(QStringLiteral("fitted.mp4"));
        const QByteArray before = testcommon::sha256Of(m_clip);
        double lastProgress = 0;
        auto fitted = compressToFit(m_clip, out, target, nullptr, [&](double p) { lastProgress = p; });
        QVERIFY2(fitted.ok(), fitted.ok() ? "" : qPrintable(fitted.error().toString()));
        QCOMPARE(lastProgress, 1.0);
        QVERIFY2(QFileInfo(out).size() <= target,
                 qPrintable(QStringLiteral("%1 > %2").arg(QFileInfo(out).size()).arg(target)));
        QCOMPARE(fitted->bytes, QFileInfo(out).size());
        auto probed = VideoProbe::probe(out);
        QVERIFY2(probed.ok(), probed.ok() ? "" : qPrintable(probed.error().message));
        QCOMPARE(probed->videoCodec, QStringLiteral("h264"));
        QVERIFY2(std::abs(probed->durationSeconds - m_clipSeconds) <= 0.5,
                 qPrintable(QStringLiteral("%1 s vs %2 s").arg(probed->durationSeconds).arg(m_clipSeconds)));
        QVERIFY(probed->width <= 1280 && probed->height <= 720);
        QCOMPARE(double(probed->width) / probed->height, 1280.0 / 720.0);
        QVERIFY(!QFile::exists(out + QStringLiteral(".partial")));
        QCOMPARE(testcommon::sha256Of(m_clip), before); // the original is only read
        qInfo("fit: %lld -> %lld bytes (target %lld), %dx%d at %d + %d bit/s, %d attempt(s), %.2f s",
              qlonglong(m_clipBytes), qlonglong(fitted->bytes), qlonglong(target), probed->width, probed->height,
              fitted->encoding.videoBitrate, fitted->encoding.audioBitrate, fitted->attempts, probed->durationSeconds);
    }

    void planFollowsTheBudget()
    {
        VideoInfo tenMinutes1080;
        tenMinutes1080.durationSeconds = 600;
        tenMinutes1080.width = 1920;
        tenMinutes1080.height = 1080;
        auto node = planFit(tenMinutes1080, 262144000); // the node's 250 MiB
        QVERIFY(node.ok());
        QCOMPARE(node->encoding.height, 1080);
        QCOMPARE(node->encoding.audioBitrate, 128000);
        // Streams plus the container margin stay inside the target.
        const double streams = double(node->encoding.videoBitrate + node->encoding.audioBitrate) / 8 * 600;
        QVERIFY(streams < 262144000.0 * 0.97);
        // A tighter budget gets a smaller picture, never a starved 1080p.
        auto tight = planFit(tenMinutes1080, 50 * 1024 * 1024);
        QVERIFY(tight.ok());
        QVERIFY2(tight->encoding.height < 1080 && tight->encoding.width % 2 == 0 && tight->encoding.height % 2 == 0,
                 qPrintable(QStringLiteral("%1x%2").arg(tight->encoding.width).arg(tight->encoding.height)));
        // Portrait stays portrait; nothing is upscaled.
        VideoInfo portrait{30, 360, 640, {}, {}, {}};
        auto p = planFit(portrait, 200 * 1024 * 1024);
        QVERIFY(p.ok());
        QCOMPARE(p->encoding.width, 360);
        QCOMPARE(p->encoding.height, 640);
        // Three hours into 10 MB cannot be watched: refused with a sentence.
        VideoInfo long1080 = tenMinutes1080;
        long1080.durationSeconds = 3 * 3600;
        auto refused = planFit(long1080, 10 * 1024 * 1024);
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().code, kErrFitTooLong);
        QVERIFY2(refused.error().message.contains(QStringLiteral("cannot fit")), qPrintable(refused.error().message));
    }

    void notAVideoIsRefusedWithASentence()
    {
        const QString text = m_dir.filePath(QStringLiteral("notes.mp4"));
        QFile f(text);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(200000, 'x'));
        f.close();
        const QString out = m_dir.filePath(QStringLiteral("never.mp4"));
        auto fitted = compressToFit(text, out, 1000, nullptr, {});
        QVERIFY(!fitted.ok());
        QVERIFY2(fitted.error().code == kErrNonVideo || fitted.error().code == kErrMalformedVideo, qPrintable(fitted.error().code));
        QVERIFY(!fitted.error().message.isEmpty());
        QVERIFY(!QFile::exists(out));
    }

    void cancellingLeavesNoFile()
    {
        const QString out = m_dir.filePath(QStringLiteral("cancelled.mp4"));
        std::atomic<bool> cancel = false;
        auto fitted = compressToFit(m_clip, out, m_clipBytes / 4, &cancel, [&](double p) {
            if (p > 0.2)
                cancel = true;
        });
        QVERIFY(!fitted.ok());
        QCOMPARE(fitted.error().code, kErrCancelled);
        QVERIFY(!QFile::exists(out));
        QVERIFY(!QFile::exists(out + QStringLiteral(".partial")));
    }

    // The command line and the upload layer: `upload-video --fit SIZE --wait`
    // against the real host. The host stores the copy, not the original.
    void cliSendsACopyThatFits()
    {
        host::HostConfig config;
        config.dataDir = m_dir.filePath(QStringLiteral("host"));
        host::EndpointHost host;
        auto started = host.start(config);
        QVERIFY2(started.ok(), started.ok() ? "" : qPrintable(started.error().toString()));
        const qint64 target = m_clipBytes / 3;
        const QByteArray before = testcommon::sha256Of(m_clip);
        auto env = QProcessEnvironment::systemEnvironment();
        const QString cache = m_dir.filePath(QStringLiteral("cache"));
        env.insert(QStringLiteral("XDG_CACHE_HOME"), cache);
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("data")));
        const auto run = testcommon::runProcess(QStringLiteral(DESO_MEDIA_BIN),
                                                {QStringLiteral("upload-video"), QStringLiteral("--fit"), QString::number(target),
                                                 QStringLiteral("--node"), host.baseUrl().toString(), QStringLiteral("--wait"),
                                                 QStringLiteral("--timeout"), QStringLiteral("90"), m_clip},
                                                env, 120000);
        QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
        QVERIFY2(run.err.contains(QStringLiteral("Making a smaller copy that fits")), qPrintable(run.err));
        QVERIFY2(run.err.contains(QStringLiteral("copy of")), qPrintable(run.err));
        QVERIFY2(run.out.contains(QStringLiteral("ReadyToStream: true")), qPrintable(run.out));
        const auto id = QRegularExpression(QStringLiteral("StreamMediaId: ([0-9a-f]+)")).match(run.out).captured(1);
        QVERIFY2(!id.isEmpty(), qPrintable(run.out));
        const QString stored = config.dataDir + QStringLiteral("/uploads/") + id + QStringLiteral("/data");
        QVERIFY2(QFileInfo(stored).size() > 0 && QFileInfo(stored).size() <= target,
                 qPrintable(QStringLiteral("stored %1 bytes, target %2").arg(QFileInfo(stored).size()).arg(target)));
        auto probed = VideoProbe::probe(stored);
        QVERIFY(probed.ok());
        QVERIFY(std::abs(probed->durationSeconds - m_clipSeconds) <= 0.5);
        QCOMPARE(testcommon::sha256Of(m_clip), before);
        // The copy is sent: it does not stay in the cache.
        QCOMPARE(QDir(cache).entryList({QStringLiteral("*.mp4")}, QDir::Files), QStringList());
        int copies = 0;
        for (const QString &sub : QDir(cache).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
            copies += QDir(cache + QLatin1Char('/') + sub + QStringLiteral("/fitted-videos")).entryList(QDir::Files).size();
        QCOMPARE(copies, 0);
    }

    // `--fit` without a SIZE fits the chosen server's limit, decided where the window
    // decides it (core/upload's videoLimit): with --media-server, the media server's 65 MiB.
    void cliFitDefaultsToTheChosenServersLimit()
    {
        host::HostConfig config;
        config.dataDir = m_dir.filePath(QStringLiteral("host-media"));
        host::EndpointHost host;
        auto started = host.start(config);
        QVERIFY2(started.ok(), started.ok() ? "" : qPrintable(started.error().toString()));
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CACHE_HOME"), m_dir.filePath(QStringLiteral("cache-media")));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("data")));
        const QString store = QStringLiteral("file:") + m_dir.filePath(QStringLiteral("keys.json"));
        const auto created = testcommon::runProcess(QStringLiteral(DESO_MEDIA_BIN),
                                                    {QStringLiteral("--key-store"), store, QStringLiteral("--create-test-key"),
                                                     QStringLiteral("creator")}, env);
        QVERIFY2(created.exitCode == 0, qPrintable(created.err));
        // Just over 65 MiB: the 320×180 sample clip and a padding box MP4 readers skip.
        const QString big = m_dir.filePath(QStringLiteral("over65.mp4"));
        QVERIFY(nodetest::writeSampleClip(big, 65 * 1024 * 1024).ok());
        QVERIFY(QFileInfo(big).size() > upload::kDefaultMediaServerVideoBytes);
        // Without --fit it goes as given (a tester sees the server's refusal), but the limit is said.
        const auto asIs = testcommon::runProcess(QStringLiteral(DESO_MEDIA_BIN),
                                                 {QStringLiteral("upload-video"), big, QStringLiteral("--media-server"),
                                                  QStringLiteral("http://127.0.0.1:9"), QStringLiteral("--key"),
                                                  QStringLiteral("creator"), QStringLiteral("--key-store"), store,
                                                  QStringLiteral("--retries"), QStringLiteral("0")}, env);
        QVERIFY(asIs.exitCode != 0);
        QVERIFY2(asIs.err.contains(QStringLiteral("Too large: the media server takes videos up to 65.0 MB and this one is "))
                     && asIs.err.contains(QStringLiteral("Sent as it is; --fit sends a smaller copy that fits.")),
                 qPrintable(asIs.err));
        const auto run = testcommon::runProcess(QStringLiteral(DESO_MEDIA_BIN),
                                                {QStringLiteral("upload-video"), big, QStringLiteral("--media-server"),
                                                 host.baseUrl().toString(), QStringLiteral("--key"), QStringLiteral("creator"),
                                                 QStringLiteral("--key-store"), store, QStringLiteral("--fit"),
                                                 QStringLiteral("--wait"), QStringLiteral("--timeout"), QStringLiteral("90")},
                                                env, 120000);
        QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
        QVERIFY2(run.err.contains(QStringLiteral("made to fit 65.0 MB")), qPrintable(run.err));
        QVERIFY2(run.out.contains(QStringLiteral("Phase: ready")), qPrintable(run.out));
    }

    void cliFitWantsASize()
    {
        const auto run = testcommon::runProcess(QStringLiteral(DESO_MEDIA_BIN),
                                                {QStringLiteral("upload-video"), QStringLiteral("--fit=lots"),
                                                 QStringLiteral("--node"), QStringLiteral("http://127.0.0.1:9"), m_clip});
        QVERIFY(run.exitCode != 0);
        QVERIFY2(run.err.contains(QStringLiteral("--fit wants a positive size")), qPrintable(run.err));
    }
};

QTEST_MAIN(TestCompressToFit)
#include "tst_compress_to_fit.moc"
