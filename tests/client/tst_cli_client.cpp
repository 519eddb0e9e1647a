// The node client subcommands of the real deso-media binary, run as processes against
// the project's EndpointHost on loopback in this process.
#include "cuttingproxy.h"
#include "eventwait.h"
#include "processrun.h"
#include "testfiles.h"
#include "testhost.h"

#include <QHttpServer>
#include <QImage>
#include <QHttpServerResponder>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

namespace {

using testcommon::MiB;
using testcommon::sha256Of;

} // namespace

class TestCliClient : public QObject {
    Q_OBJECT

    using Run = testcommon::ProcessRun;

    QTemporaryDir m_dir;

    // Runs deso-media with its own data directory (the upload store lives there) while
    // this process keeps serving: the wait runs the event loop instead of blocking it.
    Run run(const QStringList &args, int timeoutMs = 30000)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("xdg-data")));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("xdg-config")));
        env.remove(QStringLiteral("DISPLAY"));
        env.remove(QStringLiteral("WAYLAND_DISPLAY"));
        env.remove(QStringLiteral("QT_QPA_PLATFORM")); // subcommands must not need one
        return testcommon::runProcess(QStringLiteral(DESO_MEDIA_BIN), args, env, timeoutMs);
    }

    // Runs an upload and returns the peak RSS (KiB) the kernel recorded for the process.
    qint64 uploadPeakKiB(const QString &file, const QUrl &url, const QString &chunk)
    {
        return peakKiB({QStringLiteral("upload-video"), file, QStringLiteral("--node"), url.toString(),
                        QStringLiteral("--chunk-size"), chunk, QStringLiteral("--no-resume")});
    }

    // Runs deso-media with `args` and returns its peak RSS (KiB), or -1 if it failed.
    qint64 peakKiB(const QStringList &args)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("xdg-data")));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(DESO_MEDIA_BIN), args);
        if (!p.waitForStarted())
            return -1;
        const qint64 pid = p.processId();
        qint64 peak = 0;
        waitUntil([&] {
            if (p.state() == QProcess::NotRunning)
                return true;
            peak = qMax(peak, testcommon::procStatusBytes(pid, "VmHWM") / 1024);
            return false;
        }, 60000);
        if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
            return -1;
        return peak;
    }

    QString writeFile(const QString &name, qint64 size, quint32 seed)
    {
        const QString path = m_dir.filePath(name);
        return testcommon::writeRandomFile(path, size, seed) ? path : QString();
    }

    static QString node(const QUrl &url) { return url.toString(); }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void usageErrorsExitWith2()
    {
        const QString file = writeFile(QStringLiteral("u.bin"), 1000, 1);
        Run r = run({QStringLiteral("upload-video"), file});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("--node")), qPrintable(r.err));
        r = run({QStringLiteral("upload-video"), file, QStringLiteral("--node"), QStringLiteral("http://127.0.0.1:1"),
                 QStringLiteral("--chunk-size"), QStringLiteral("1M")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("5 MiB")), qPrintable(r.err));
        r = run({QStringLiteral("video-status"), QStringLiteral("--node"), QStringLiteral("http://127.0.0.1:1")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("ID")), qPrintable(r.err));
        r = run({QStringLiteral("tiktok"), QStringLiteral("x"), QStringLiteral("--node"), QStringLiteral("http://127.0.0.1:1"),
                 QStringLiteral("--bogus")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("bogus")), qPrintable(r.err));
        r = run({QStringLiteral("upload-image"), file, QStringLiteral("--node"), QStringLiteral("http://127.0.0.1:1")});
        QCOMPARE(r.exitCode, 2);
        r = run({QStringLiteral("tiktok"), QStringLiteral("https://example.com/x"), QStringLiteral("--node"), QStringLiteral("http://127.0.0.1:1")});
        QCOMPARE(r.exitCode, 2);
        r = run({QStringLiteral("upload-video"), QStringLiteral("--help")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QStringLiteral("--chunk-size")), qPrintable(r.out));
    }

    void networkErrorsExitWith3()
    {
        const QString url = QStringLiteral("http://127.0.0.1:%1").arg(testcommon::freeLoopbackPort());
        Run r = run({QStringLiteral("video-status"), QStringLiteral("0123456789abcdef0123456789abcdef"), QStringLiteral("--node"), url, QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 3);
        QCOMPARE(r.json().value(QStringLiteral("code")).toString(), QStringLiteral("network.error"));
        const QString file = writeFile(QStringLiteral("n.bin"), 1000, 2);
        r = run({QStringLiteral("upload-video"), file, QStringLiteral("--node"), url, QStringLiteral("--retries"), QStringLiteral("0")});
        QCOMPARE(r.exitCode, 3);
        QVERIFY2(r.err.contains(QStringLiteral("refused")), qPrintable(r.err));
    }

    void uploadVideoInChunks()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        const QString file = writeFile(QStringLiteral("clip.bin"), 12 * MiB + 77, 3);
        const Run r = run({QStringLiteral("upload-video"), file, QStringLiteral("--node"), node(server.url()),
                           QStringLiteral("--chunk-size"), QStringLiteral("5M")});
        QCOMPARE(r.exitCode, 0);
        QRegularExpression idLine(QStringLiteral("^StreamMediaId: ([0-9a-f]{32})$"), QRegularExpression::MultilineOption);
        const QRegularExpressionMatch m = idLine.match(r.out);
        QVERIFY2(m.hasMatch(), qPrintable(r.out));
        const QString id = m.captured(1);
        QVERIFY2(r.out.contains(QStringLiteral("UploadURL: ") + node(server.url()) + QStringLiteral("/tus/")), qPrintable(r.out));
        QVERIFY2(r.err.contains(QStringLiteral("uploaded 12.0 MiB of 12.0 MiB (100.0%)")), qPrintable(r.err));
        QCOMPARE(server.count("PATCH"), 3);
        QCOMPARE(sha256Of(server.storedFile(id)), sha256Of(file));
    }

    void uploadAVideoThenWaitUntilItStreams()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        const QString tiny = QStringLiteral(DESO_SOURCE_DIR "/tests/host/data/tiny.mp4");
        Run r = run({QStringLiteral("upload-video"), tiny, QStringLiteral("--node"), node(server.url()), QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 0);
        const QString id = r.json().value(QStringLiteral("StreamMediaId")).toString();
        QVERIFY2(!id.isEmpty(), qPrintable(r.out));
        QCOMPARE(r.json().value(QStringLiteral("Size")).toInteger(), QFileInfo(tiny).size());

        r = run({QStringLiteral("video-status"), id, QStringLiteral("--node"), node(server.url()), QStringLiteral("--wait"), QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 0);
        const QJsonObject status = r.json();
        QCOMPARE(status.value(QStringLiteral("ReadyToStream")).toBool(), true);
        const int width = status.value(QStringLiteral("Dimensions")).toObject().value(QStringLiteral("width")).toInt();
        QVERIFY(width > 0);
        QVERIFY2(r.err.contains(QStringLiteral("status: ")), qPrintable(r.err));

        r = run({QStringLiteral("video-dimensions"), id, QStringLiteral("--node"), node(server.url())});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.startsWith(QString::number(width) + QLatin1Char('x')), qPrintable(r.out));

        r = run({QStringLiteral("video-status"), id, QStringLiteral("--node"), node(server.url())});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QStringLiteral("ReadyToStream: true")), qPrintable(r.out));

        // Upload and wait in one run.
        r = run({QStringLiteral("upload-video"), tiny, QStringLiteral("--node"), node(server.url()), QStringLiteral("--no-resume"),
                 QStringLiteral("--wait")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QStringLiteral("StreamMediaId: ")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("ReadyToStream: true")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("PlaybackURL: ") + node(server.url()) + QStringLiteral("/hls/")), qPrintable(r.out));
        QCOMPARE(r.err.count(QStringLiteral("(100.0%)")), 1);
    }

    void aLargeUploadDoesNotSitInMemory()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        const QString small = writeFile(QStringLiteral("small.bin"), MiB, 6);
        // Sparse: 120 MiB of zeros cost neither disk nor time to write.
        const QString large = m_dir.filePath(QStringLiteral("large.bin"));
        {
            QFile f(large);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QVERIFY(f.resize(120 * MiB));
        }
        const qint64 reference = uploadPeakKiB(small, server.url(), QStringLiteral("50M"));
        const qint64 peak = uploadPeakKiB(large, server.url(), QStringLiteral("50M"));
        QVERIFY(reference > 0 && peak > 0);
        qInfo("client peak RSS: %lld KiB for 1 MiB, %lld KiB for 120 MiB in 50 MiB chunks", reference, peak);
        // A client holding one 50 MiB chunk in memory would exceed this.
        QVERIFY2(peak < reference + 24 * 1024, qPrintable(QStringLiteral("%1 KiB vs %2 KiB").arg(peak).arg(reference)));
        // And the host did receive all of it.
        bool stored = false;
        for (const QString &id : QDir(server.dataDir() + QStringLiteral("/uploads")).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
            stored |= QFileInfo(server.storedFile(id)).size() == 120 * MiB;
        QVERIFY(stored);
    }

    void aLargeMediaServerUploadDoesNotSitInMemory()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        const QString store = QStringLiteral("file:") + m_dir.filePath(QStringLiteral("memory-keys.json"));
        QCOMPARE(run({QStringLiteral("--key-store"), store, QStringLiteral("--create-test-key"), QStringLiteral("carol")}).exitCode, 0);
        const QString small = writeFile(QStringLiteral("media-small.bin"), MiB, 8);
        const QString large = m_dir.filePath(QStringLiteral("media-large.bin")); // sparse, like above
        {
            QFile f(large);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QVERIFY(f.resize(200 * MiB));
        }
        const auto upload = [&](const QString &file) {
            // --multipart: the SDK's one POST, which would otherwise go through tus at this size.
            return peakKiB({QStringLiteral("upload-video"), file, QStringLiteral("--media-server"), server.url().toString(),
                            QStringLiteral("--multipart"), QStringLiteral("--key"), QStringLiteral("carol"), QStringLiteral("--key-store"), store});
        };
        const qint64 reference = upload(small);
        const qint64 peak = upload(large);
        QVERIFY(reference > 0 && peak > 0);
        qInfo("client peak RSS: %lld KiB for 1 MiB, %lld KiB for a 200 MiB multipart upload", reference, peak);
        QVERIFY2(peak < reference + 10 * 1024, qPrintable(QStringLiteral("%1 KiB vs %2 KiB").arg(peak).arg(reference)));
        bool stored = false;
        for (const QString &id : QDir(server.dataDir() + QStringLiteral("/uploads")).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
            stored |= QFileInfo(server.storedFile(id)).size() == 200 * MiB;
        QVERIFY(stored);
    }

    void anInterruptedUploadResumesOnTheNextRun()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        CuttingProxy proxy;
        QVERIFY(proxy.start(server.port()));
        // The link dies in the second chunk and stays down.
        proxy.cutAfter({7 * MiB}, 1000000);
        const QString file = writeFile(QStringLiteral("long.bin"), 11 * MiB, 4);
        Run r = run({QStringLiteral("upload-video"), file, QStringLiteral("--node"), node(proxy.url()),
                     QStringLiteral("--chunk-size"), QStringLiteral("5M"), QStringLiteral("--retries"), QStringLiteral("1"),
                     QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 3);
        QCOMPARE(r.json().value(QStringLiteral("code")).toString(), QStringLiteral("network.error"));
        // The upload URL was kept where QStandardPaths puts the app's data.
        QVERIFY(QFileInfo::exists(m_dir.filePath(QStringLiteral("xdg-data/DeSo Media Companion/deso-media/tus-uploads.json"))));
        // A second run over a working link continues the same upload.
        proxy.refuseNext(0);
        r = run({QStringLiteral("upload-video"), file, QStringLiteral("--node"), node(proxy.url()),
                 QStringLiteral("--chunk-size"), QStringLiteral("5M"), QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 0);
        const QJsonObject json = r.json();
        QCOMPARE(json.value(QStringLiteral("Resumed")).toBool(), true);
        QCOMPARE(server.count("POST"), 1);
        const QString id = json.value(QStringLiteral("StreamMediaId")).toString();
        QCOMPARE(sha256Of(server.storedFile(id)), sha256Of(file));
    }

    void serverRefusalsExitWith4WithTheNodesSentence()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        const QString id = QStringLiteral("0123456789abcdef0123456789abcdee");
        Run r = run({QStringLiteral("video-status"), id, QStringLiteral("--node"), node(server.url())});
        QCOMPARE(r.exitCode, 4);
        QVERIFY2(r.err.contains(QStringLiteral("GetVideoStatus: no video with id %1 (HTTP 404)").arg(id)), qPrintable(r.err));
        r = run({QStringLiteral("video-status"), id, QStringLiteral("--node"), node(server.url()), QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 4);
        QCOMPARE(r.json().value(QStringLiteral("error")).toString(), QStringLiteral("GetVideoStatus: no video with id ") + id);
        QCOMPARE(r.json().value(QStringLiteral("httpStatus")).toInt(), 404);
        // A file over the node's limit (sparse: no disk cost) is refused at creation.
        const QString huge = m_dir.filePath(QStringLiteral("huge.bin"));
        {
            QFile f(huge);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QVERIFY(f.resize(262144001));
        }
        r = run({QStringLiteral("upload-video"), huge, QStringLiteral("--node"), node(server.url())});
        QCOMPARE(r.exitCode, 4);
        QVERIFY2(r.err.contains(QStringLiteral("UploadVideo: Files must be less than 250MB (HTTP 400)")), qPrintable(r.err));
    }

    void waitingEndsWith5WhenTheVideoCannotStream()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        // Not a video: the host's probe puts it in the error state.
        const QString file = writeFile(QStringLiteral("noise.bin"), 100000, 5);
        Run r = run({QStringLiteral("upload-video"), file, QStringLiteral("--node"), node(server.url()), QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 0);
        const QString id = r.json().value(QStringLiteral("StreamMediaId")).toString();
        r = run({QStringLiteral("video-status"), id, QStringLiteral("--node"), node(server.url()), QStringLiteral("--wait")});
        QCOMPARE(r.exitCode, 5);
        QVERIFY2(r.err.contains(QStringLiteral("cannot be streamed: ERR_")), qPrintable(r.err));

        // Created but never sent: still pending when the timeout passes.
        QNetworkAccessManager nam;
        QNetworkRequest create(server.uploadEndpoint());
        create.setRawHeader("Tus-Resumable", "1.0.0");
        create.setRawHeader("Upload-Length", "1000");
        QNetworkReply *reply = nam.post(create, QByteArray());
        DESO_WAIT_VERIFY(reply->isFinished(), 10000);
        const QString pending = QString::fromLatin1(reply->rawHeader("Stream-Media-Id"));
        reply->deleteLater();
        r = run({QStringLiteral("video-status"), pending, QStringLiteral("--node"), node(server.url()), QStringLiteral("--wait"),
                 QStringLiteral("--timeout"), QStringLiteral("1")});
        QCOMPARE(r.exitCode, 5);
        QVERIFY2(r.err.contains(QStringLiteral("not ready to stream")), qPrintable(r.err));
    }

    void uploadImageWithATestKey()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        const QString store = QStringLiteral("file:") + m_dir.filePath(QStringLiteral("keys.json"));
        Run r = run({QStringLiteral("--key-store"), store, QStringLiteral("--create-test-key"), QStringLiteral("alice")});
        QCOMPARE(r.exitCode, 0);
        QImage img(40, 30, QImage::Format_RGB32);
        img.fill(Qt::darkGreen);
        const QString photo = m_dir.filePath(QStringLiteral("photo.jpg"));
        QVERIFY(img.save(photo));

        r = run({QStringLiteral("upload-image"), photo, QStringLiteral("--node"), node(server.url()), QStringLiteral("--key"),
                 QStringLiteral("alice"), QStringLiteral("--key-store"), store});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.trimmed().startsWith(node(server.url()) + QStringLiteral("/images/")), qPrintable(r.out));
        QVERIFY2(r.out.trimmed().endsWith(QStringLiteral(".webp")), qPrintable(r.out));
        QVERIFY2(r.err.contains(QStringLiteral("Already acceptable")), qPrintable(r.err));

        r = run({QStringLiteral("upload-image"), photo, QStringLiteral("--node"), node(server.url()), QStringLiteral("--key"),
                 QStringLiteral("nobody"), QStringLiteral("--key-store"), store});
        QCOMPARE(r.exitCode, 1);

        r = run({QStringLiteral("upload-image"), photo, QStringLiteral("--node"), node(server.url()), QStringLiteral("--jwt"),
                 QStringLiteral("a.b.c"), QStringLiteral("--public-key"), QStringLiteral("BC1YLgk8yq6L5g5ZxaPhqUNbGyLZBhuRHzWx2RKJmzwfNg2J2CdTvMS"),
                 QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 4);
        QVERIFY2(r.json().value(QStringLiteral("error")).toString().startsWith(QStringLiteral("UploadImage: Invalid token: ")), qPrintable(r.out));
        QCOMPARE(r.json().value(QStringLiteral("httpStatus")).toInt(), 400);
    }

    void uploadVideoToAMediaServer()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        const QString store = QStringLiteral("file:") + m_dir.filePath(QStringLiteral("media-keys.json"));
        Run r = run({QStringLiteral("--key-store"), store, QStringLiteral("--create-test-key"), QStringLiteral("bob")});
        QCOMPARE(r.exitCode, 0);
        const QString tiny = QStringLiteral(DESO_SOURCE_DIR "/tests/host/data/tiny.mp4");
        // --media-server alone: the media-server contract, no --node needed; --json prints the server's answer.
        r = run({QStringLiteral("upload-video"), tiny, QStringLiteral("--media-server"), node(server.url()), QStringLiteral("--key"),
                 QStringLiteral("bob"), QStringLiteral("--key-store"), store, QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 0);
        const QString assetId = r.json().value(QStringLiteral("asset")).toObject().value(QStringLiteral("id")).toString();
        QVERIFY2(assetId.size() == 32, qPrintable(r.out));
        QVERIFY(r.json().value(QStringLiteral("tusEndpoint")).toString().endsWith(QStringLiteral("/api/v0/upload-video")));
        QVERIFY2(r.err.contains(QStringLiteral("(100.0%)")), qPrintable(r.err));

        // video-status takes the asset id with --media (the spelling), at the SDK's cadence.
        r = run({QStringLiteral("video-status"), assetId, QStringLiteral("--media"), node(server.url()), QStringLiteral("--wait")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QStringLiteral("Phase: ready")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("DownloadURL: ") + node(server.url()) + QStringLiteral("/download/")), qPrintable(r.out));

        // Upload and wait in one run, in words.
        r = run({QStringLiteral("upload-video"), tiny, QStringLiteral("--media-server"), node(server.url()), QStringLiteral("--key"),
                 QStringLiteral("bob"), QStringLiteral("--key-store"), store, QStringLiteral("--wait")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QStringLiteral("AssetId: ")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("Phase: ready")), qPrintable(r.out));
        // The URLs to paste into a post, with the words the window uses (core/upload/medialinks):
        // this host streams its own videos, so its stream is also what a post embeds.
        for (const char *key : {"PlaybackURL: ", "EmbedURL: "})
            QVERIFY2(r.out.contains(QLatin1String(key) + node(server.url()) + QStringLiteral("/hls/")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("DownloadURL: ") + node(server.url()) + QStringLiteral("/download/")), qPrintable(r.out));

        // Without credentials the media server cannot be asked: a usage error, nothing sent.
        r = run({QStringLiteral("upload-video"), tiny, QStringLiteral("--media-server"), node(server.url())});
        QCOMPARE(r.exitCode, 2);
        // A refused JWT: the server's sentence, exit 4.
        r = run({QStringLiteral("upload-video"), tiny, QStringLiteral("--media-server"), node(server.url()), QStringLiteral("--jwt"),
                 QStringLiteral("a.b.c"), QStringLiteral("--public-key"), QStringLiteral("BC1YLgk8yq6L5g5ZxaPhqUNbGyLZBhuRHzWx2RKJmzwfNg2J2CdTvMS"),
                 QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 4);
        QVERIFY2(r.json().value(QStringLiteral("error")).toString().startsWith(QStringLiteral("UploadVideo: Invalid token: ")), qPrintable(r.out));
    }

    void tiktokResolvesALink()
    {
        QHttpServer redirector;
        const QByteArray full = "https://www.tiktok.com/@scout2015/video/6718335390845095173";
        redirector.route("/<arg>", QHttpServerRequest::Method::Get,
                         [full](const QString &id, const QHttpServerRequest &, QHttpServerResponder &&responder) {
                             if (id == QLatin1String("TTPd2Eobq3"))
                                 return responder.write({{"Location", full}}, QHttpServerResponder::StatusCode::Found);
                             responder.write(QHttpServerResponder::StatusCode::NotFound);
                         });
        const quint16 port = redirector.listen(QHostAddress::LocalHost, 0);
        QVERIFY(port != 0);
        TestHost server;
        server.config.tiktokShortLinkBase = QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(port));
        server.config.tiktokAllowLoopbackForTests = true;
        QVERIFY(server.start().ok());
        Run r = run({QStringLiteral("tiktok"), QStringLiteral("https://vm.tiktok.com/TTPd2Eobq3/"), QStringLiteral("--node"), node(server.url())});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out.trimmed(), QString::fromLatin1(full));
        r = run({QStringLiteral("tiktok"), QStringLiteral("TTPd2Eobq3"), QStringLiteral("--node"), node(server.url()), QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.json().value(QStringLiteral("FullTikTokURL")).toString(), QString::fromLatin1(full));
        // The redirector knows no such id: the host refuses, the CLI says so with code 4.
        r = run({QStringLiteral("tiktok"), QStringLiteral("Unknown123"), QStringLiteral("--node"), node(server.url()), QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 4);
        QVERIFY(!r.json().value(QStringLiteral("error")).toString().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestCliClient)
#include "tst_cli_client.moc"
