// The upload layer and the node tester speaking the media-server contract (issue 13)
// against the real host on loopback: a clip streamed as one multipart POST with
// progress, followed by asset id at the SDK's cadence through its phases to ready, the
// words describe() gives each phase; a refused JWT as a sentence; the tester's
// media-server steps with their raw exchanges.
#include "cuttingproxy.h"
#include "eventwait.h"
#include "host/endpointhost.h"
#include "identity/keys.h"
#include "node/nodeclient.h"
#include "nodetest/nodetester.h"
#include "nodetest/sampleclip.h"
#include "testfiles.h"
#include "upload/credentials.h"
#include "upload/medialinks.h"
#include "upload/uploadstatus.h"
#include "upload/uploadtask.h"

#include <QDir>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace deso;
using testcommon::sha256Of;
using namespace deso::upload;

class TestMediaUpload : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    host::EndpointHost m_host;
    identity::PrivateKey m_key = identity::PrivateKey::generate();
    QString m_clip;

    Credentials credentials() const
    {
        return signWithKey(m_key, m_key.publicKey().toBase58Check(identity::Network::Mainnet));
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        host::HostConfig c;
        c.dataDir = m_dir.filePath(QStringLiteral("host"));
        const Status started = m_host.start(c);
        QVERIFY2(started.ok(), qPrintable(started.ok() ? QString() : started.error().message));
        m_clip = m_dir.filePath(QStringLiteral("clip.mp4"));
        QVERIFY(nodetest::writeSampleClip(m_clip, 2 * 1024 * 1024).ok());
    }

    void videoGoesToTheMediaServerAndStreams()
    {
        node::NodeClient node(m_host.baseUrl());
        node::NodeClient media(m_host.baseUrl());
        UploadOptions options;
        options.mediaServer = &media;
        options.credentials = [this]() -> Result<Credentials> { return credentials(); };
        UploadTask task(&node, m_clip, MediaKind::Video, options);
        QSignalSpy progress(&task, &UploadTask::progress);
        QSignalSpy created(&task, &UploadTask::assetCreated);
        QStringList words;
        connect(&task, &UploadTask::statusChanged, this, [&](const UploadStatus &s) {
            const QString w = describe(s);
            if (words.isEmpty() || words.last() != w)
                words << w;
        });
        task.start();
        DESO_WAIT_VERIFY(task.status().state == UploadState::Done || task.status().state == UploadState::Failed, 60000);
        QVERIFY2(task.status().state == UploadState::Done, qPrintable(describe(task.status())));
        QCOMPARE(created.size(), 1);
        QVERIFY(!progress.isEmpty());
        QCOMPARE(progress.last().at(0).toLongLong(), QFileInfo(m_clip).size());
        const QString assetId = task.status().videoId;
        QCOMPARE(assetId.size(), 32);
        // The asset's bytes are the file's; the result points at where it streams.
        QCOMPARE(sha256Of(m_dir.filePath(QStringLiteral("host/uploads/%1/data").arg(assetId))), sha256Of(m_clip));
        QVERIFY2(task.status().resultUrl.startsWith(m_host.baseUrl().toString() + QStringLiteral("/hls/")),
                 qPrintable(task.status().resultUrl));
        QVERIFY(task.status().video && task.status().video->phase == QLatin1String("ready"));
        QVERIFY2(words.join(QLatin1Char('|')).contains(QStringLiteral("Uploaded; the media server")), qPrintable(words.join(QLatin1Char('|'))));
        QVERIFY2(describe(task.status()).startsWith(QStringLiteral("ready to stream")), qPrintable(describe(task.status())));
    }

    void phasesInWords()
    {
        node::VideoStatus v;
        v.phase = QStringLiteral("waiting");
        QCOMPARE(describe(v), QStringLiteral("waiting to be processed"));
        v.phase = QStringLiteral("processing");
        QCOMPARE(describe(v), QStringLiteral("processing"));
        v.phase = QStringLiteral("failed");
        v.errorMessage = QStringLiteral("not a video");
        QCOMPARE(describe(v), QStringLiteral("error: not a video"));
        UploadStatus s;
        s.state = UploadState::Processing;
        s.note = StatusNote::MediaServerProcessing;
        s.video = v;
        s.video->phase = QStringLiteral("processing");
        s.video->errorMessage.clear();
        QCOMPARE(describe(s), QStringLiteral("Uploaded; the media server says: processing"));
        // Saved and read back as data, not words.
        QCOMPARE(UploadStatus::fromJson(s.toJson()).note, StatusNote::MediaServerProcessing);
    }

    // Which URLs a post gets from each kind of server (core/upload/medialinks), from their
    // answers' shapes: Livepeer (DeSo's media server), the node's Cloudflare, a self-streaming host.
    void linksForEachKindOfServer()
    {
        const auto links = [](const QString &id, const QJsonObject &answer) { return videoLinks(node::VideoStatus::fromJson(id, answer)); };
        const QJsonObject livepeer{{QStringLiteral("id"), QStringLiteral("a1")},
                                   {QStringLiteral("playbackID"), QStringLiteral("pb42")},
                                   {QStringLiteral("status"), QJsonObject{{QStringLiteral("phase"), QStringLiteral("ready")}}},
                                   {QStringLiteral("playbackURL"), QStringLiteral("https://livepeercdn.studio/hls/pb42/index.m3u8")},
                                   {QStringLiteral("downloadURL"), QStringLiteral("https://asset-cdn.lp-playback.studio/pb42/video.mp4")}};
        auto l = links(QStringLiteral("a1"), livepeer);
        QCOMPARE(linkUrl(l, LinkKind::Playback).toString(), QStringLiteral("https://livepeercdn.studio/hls/pb42/index.m3u8"));
        QCOMPARE(linkUrl(l, LinkKind::Embed).toString(), QStringLiteral("https://lvpr.tv/?v=pb42"));
        QCOMPARE(linkUrl(l, LinkKind::Download).toString(), QStringLiteral("https://asset-cdn.lp-playback.studio/pb42/video.mp4"));
        // A media server that names no stream: still Livepeer's player by playback id.
        l = links(QStringLiteral("a1"), QJsonObject{{QStringLiteral("playbackID"), QStringLiteral("pb42")},
                                                    {QStringLiteral("status"), QJsonObject{{QStringLiteral("phase"), QStringLiteral("ready")}}}});
        QCOMPARE(l.size(), 1);
        QCOMPARE(linkUrl(l, LinkKind::Embed).toString(), QStringLiteral("https://lvpr.tv/?v=pb42"));
        // The node's Cloudflare video: the manifest and the iframe player, no download.
        const QString cf = QStringLiteral("0123456789abcdef0123456789abcdef");
        l = links(cf, QJsonObject{{QStringLiteral("ReadyToStream"), true}});
        QCOMPARE(linkUrl(l, LinkKind::Playback).toString(), QStringLiteral("https://videodelivery.net/%1/manifest/video.m3u8").arg(cf));
        QCOMPARE(linkUrl(l, LinkKind::Embed).toString(), QStringLiteral("https://iframe.videodelivery.net/%1").arg(cf));
        QVERIFY(linkUrl(l, LinkKind::Download).isEmpty());
        // A host streaming its own videos: the stream is the embed; its poster is named.
        l = links(cf, QJsonObject{{QStringLiteral("ReadyToStream"), true},
                                  {QStringLiteral("PlaybackURL"), QStringLiteral("http://127.0.0.1:8089/hls/p/master.m3u8")},
                                  {QStringLiteral("ThumbnailURL"), QStringLiteral("http://127.0.0.1:8089/thumbnails/p.jpg")}});
        QCOMPARE(linkUrl(l, LinkKind::Embed), linkUrl(l, LinkKind::Playback));
        QCOMPARE(videoPosterUrl(node::VideoStatus::fromJson(cf, QJsonObject{{QStringLiteral("ThumbnailURL"), QStringLiteral("http://h/t.jpg")}})),
                 QUrl(QStringLiteral("http://h/t.jpg")));
        // Only a finished upload has links; an image has its ImageURL alone.
        UploadStatus image;
        image.resultUrl = QStringLiteral("http://127.0.0.1:8089/images/x.webp");
        QVERIFY(mediaLinks(image).isEmpty());
        image.state = UploadState::Done;
        QCOMPARE(mediaLinks(image).size(), 1);
        QCOMPARE(mediaLinks(image).first().kind, LinkKind::Image);
        QCOMPARE(linkCaption(LinkKind::Embed), QStringLiteral("Embed URL"));
        QCOMPARE(linkKey(LinkKind::Download), QStringLiteral("DownloadURL"));
    }

    void refusedJwtIsASentence()
    {
        node::NodeClient node(m_host.baseUrl());
        node::NodeClient media(m_host.baseUrl());
        UploadOptions options;
        options.mediaServer = &media;
        const identity::PrivateKey other = identity::PrivateKey::generate();
        options.credentials = [this, other]() -> Result<Credentials> {
            return signWithKey(other, m_key.publicKey().toBase58Check(identity::Network::Mainnet));
        };
        UploadTask task(&node, m_clip, MediaKind::Video, options);
        task.start();
        DESO_WAIT_VERIFY(task.status().state == UploadState::Failed || task.status().state == UploadState::Done, 30000);
        QCOMPARE(task.status().state, UploadState::Failed);
        QCOMPARE(task.status().error.httpStatus, 400);
        QVERIFY2(describe(task.status()).contains(QStringLiteral("Invalid token")), qPrintable(describe(task.status())));
    }

    // A large video goes through the media server's tus endpoint (discovered with OPTIONS),
    // so when the connection is cut twice mid-body the client resumes at the server's
    // offset: one upload on the host (a restart would create a second), the bytes sent
    // stay under the file plus one lost chunk per cut, and the stored file is identical.
    void aCutLargeUploadResumesThroughTheTusEndpoint()
    {
        const QString big = m_dir.filePath(QStringLiteral("big.mp4"));
        QVERIFY(nodetest::writeSampleClip(big, 24 * 1024 * 1024).ok());
        const qint64 size = QFileInfo(big).size();
        const qint64 chunk = 5 * 1024 * 1024;
        CuttingProxy proxy;
        QVERIFY(proxy.start(m_host.baseUrl().port()));
        proxy.cutAfter({7 * 1024 * 1024, 16 * 1024 * 1024}, 3);
        const QDir uploads(m_dir.filePath(QStringLiteral("host/uploads")));
        const QStringList before = uploads.entryList(QDir::Dirs | QDir::NoDotAndDotDot);

        node::NodeClient node(proxy.url());
        node::NodeClient media(proxy.url());
        UploadOptions options;
        options.mediaServer = &media;
        options.mediaServerTusThreshold = 8 * 1024 * 1024;
        options.tus.chunkSize = chunk;
        options.tus.retryDelaysMs = {0, 200};
        options.tus.storeFile = m_dir.filePath(QStringLiteral("tus-store.json"));
        options.credentials = [this]() -> Result<Credentials> { return credentials(); };
        UploadTask task(&node, big, MediaKind::Video, options);
        QSignalSpy retried(&task, &UploadTask::retrying);
        QMap<QByteArray, int> requests;
        bool paused = false;
        connect(&task, &UploadTask::statusChanged, this, [&](const UploadStatus &s) {
            if (task.tusUploader())
                requests = task.tusUploader()->requestCounts();
            // Pause and resume work as on the legacy path.
            if (!paused && s.state == UploadState::Uploading && s.bytesSent > 2 * 1024 * 1024 && task.canPause()) {
                task.pause();
            } else if (!paused && s.state == UploadState::Paused) {
                paused = true;
                QTimer::singleShot(100, &task, &UploadTask::resume);
            }
        });
        task.start();
        DESO_WAIT_VERIFY(task.status().state == UploadState::Done || task.status().state == UploadState::Failed, 90000);
        QVERIFY2(task.status().state == UploadState::Done, qPrintable(describe(task.status())));
        QCOMPARE(proxy.cutsDone(), 2);
        QVERIFY(paused);
        QVERIFY(retried.size() >= 2);
        QVERIFY2(requests.value("HEAD") >= 2, "each resume asks the server for its offset");
        QCOMPARE(requests.value("POST"), 1);
        const QStringList after = uploads.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        QCOMPARE(after.size(), before.size() + 1);
        qInfo("%lld bytes went through the proxy for a %lld-byte file, %d HEAD, %d PATCH, %d cuts", proxy.bytesUpstream(), size,
              requests.value("HEAD"), requests.value("PATCH"), proxy.cutsDone());
        QVERIFY2(proxy.bytesUpstream() < size + 2 * chunk + 1024 * 1024,
                 qPrintable(QStringLiteral("%1 bytes sent for a %2-byte file").arg(proxy.bytesUpstream()).arg(size)));
        QCOMPARE(sha256Of(uploads.filePath(task.status().videoId + QStringLiteral("/data"))), sha256Of(big));
        // Followed as a media-server asset to ready.
        QVERIFY(task.status().video && task.status().video->phase == QLatin1String("ready"));
        QVERIFY(media.knownTusEndpoint().toString().endsWith(QStringLiteral("/api/v0/upload-video")));
    }

    // A multipart POST cut before the answer left nothing on the server: the upload goes on
    // through the tus endpoint instead of failing, and the stored file is identical.
    void aCutMultipartUploadContinuesOverTus()
    {
        const QString clip = m_dir.filePath(QStringLiteral("cut-multipart.mp4"));
        QVERIFY(nodetest::writeSampleClip(clip, 3 * 1024 * 1024).ok());
        CuttingProxy proxy;
        QVERIFY(proxy.start(m_host.baseUrl().port()));
        // Down long enough that Qt's own silent resends of the POST fail too.
        proxy.cutAfter({1024 * 1024}, 2);
        node::NodeClient node(proxy.url());
        node::NodeClient media(proxy.url());
        UploadOptions options;
        options.mediaServer = &media;
        options.tus.chunkSize = 5 * 1024 * 1024;
        options.tus.storeFile = m_dir.filePath(QStringLiteral("tus-store-cut.json"));
        options.credentials = [this]() -> Result<Credentials> { return credentials(); };
        UploadTask task(&node, clip, MediaKind::Video, options);
        QSignalSpy retried(&task, &UploadTask::retrying);
        QSignalSpy created(&task, &UploadTask::assetCreated);
        QSignalSpy overTus(&task, &UploadTask::videoUploaded);
        task.start();
        DESO_WAIT_VERIFY(task.status().state == UploadState::Done || task.status().state == UploadState::Failed, 60000);
        QVERIFY2(task.status().state == UploadState::Done, qPrintable(describe(task.status())));
        QCOMPARE(proxy.cutsDone(), 1);
        QVERIFY(!retried.isEmpty());
        QCOMPARE(created.size(), 0);  // the multipart POST never got its answer
        QCOMPARE(overTus.size(), 1);
        QCOMPARE(sha256Of(m_dir.filePath(QStringLiteral("host/uploads/%1/data").arg(task.status().videoId))), sha256Of(clip));
        QVERIFY(task.status().video && task.status().video->phase == QLatin1String("ready"));
    }

    void testerRunsTheMediaServerSteps()
    {
        nodetest::NodeTestOptions options;
        options.nodeUrl = m_host.baseUrl();
        options.mediaServerUrl = m_host.baseUrl();
        options.workDir = m_dir.filePath(QStringLiteral("tester"));
        options.statusTimeoutMs = 30000;
        options.tiktokShortId = QStringLiteral("?"); // refused locally: no network needed
        options.credentials = [this]() -> Result<std::pair<QString, QString>> {
            const Credentials c = credentials();
            return std::pair{c.publicKey, c.jwt};
        };
        nodetest::NodeTester tester(options);
        QSignalSpy finished(&tester, &nodetest::NodeTester::finished);
        tester.run();
        DESO_WAIT_VERIFY(!finished.isEmpty(), 90000);
        const QStringList names = nodetest::NodeTester::stepNames();
        for (int i = 5; i < 9; ++i) {
            const nodetest::StepResult &r = tester.results().at(i);
            QVERIFY2(r.outcome == nodetest::StepResult::Outcome::Passed, qPrintable(names[i] + QStringLiteral(": ") + r.summary + QLatin1Char('\n') + r.raw));
        }
        QVERIFY2(tester.results().at(5).raw.contains(QStringLiteral("POST ") + m_host.baseUrl().toString() + QStringLiteral("/api/v0/upload-video")),
                 qPrintable(tester.results().at(5).raw));
        static const QRegularExpression readyPhase(QStringLiteral("\"phase\"\\s*:\\s*\"ready\""));
        QVERIFY2(tester.results().at(6).raw.contains(readyPhase), qPrintable(tester.results().at(6).raw));
        QVERIFY(tester.results().at(7).summary.contains(QStringLiteral("bytes")));
    }
};

QTEST_MAIN(TestMediaUpload)
#include "tst_media_upload.moc"
