// The host processes what it receives: a tus upload becomes queued/inprogress
// with progress, then ready with an HLS master playlist, segments, a poster and a
// download MP4 (Range) served by playbackId; a restart resumes interrupted jobs
// and keeps finished outputs; deleting the upload removes them.

#include "eventwait.h"
#include "host/endpointhost.h"
#include "nodetest/sampleclip.h"
#include "syntheticclip.h"
#include "testhttp.h"

#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

extern "C" {
#include <libavutil/log.h>
}

using namespace deso::host;

class TestVideoHost : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<EndpointHost> m_host;
    QNetworkAccessManager m_nam;
    QString m_clip720;

    QString dataDir() const { return m_dir.filePath(QStringLiteral("host")); }
    QUrl url(const QByteArray &path) const { return m_host->baseUrl().resolved(QUrl(QString::fromLatin1(path))); }

    void startHost()
    {
        HostConfig c;
        c.dataDir = dataDir();
        m_host = std::make_unique<EndpointHost>();
        const auto s = m_host->start(c);
        QVERIFY2(s.ok(), qPrintable(s.ok() ? QString() : s.error().toString()));
    }

    // Uploads a file with tus; returns its tus URL and the Stream-Media-Id.
    std::pair<QUrl, QString> upload(const QString &path)
    {
        const QByteArray bytes = readFile(path);
        const HttpReply c = httpSend(m_nam, "POST", url("/api/v0/upload-video"),
                                     {{"Upload-Length", QByteArray::number(bytes.size())}, {"Tus-Resumable", "1.0.0"}});
        const QUrl location(QString::fromLatin1(c.header("Location")));
        const HttpReply p = httpSend(m_nam, "PATCH", location,
                                     {{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", "0"},
                                      {"Content-Type", "application/offset+octet-stream"}},
                                     bytes);
        if (p.status != 204)
            qWarning() << "upload failed" << c.status << p.status << p.body;
        return {location, QString::fromLatin1(c.header("Stream-Media-Id"))};
    }

    QJsonObject status(const QString &id)
    {
        return QJsonDocument::fromJson(httpSend(m_nam, "GET", url("/api/v0/get-video-status/" + id.toLatin1())).body).object();
    }

    QString state(const QString &id) { return status(id).value(QStringLiteral("state")).toString(); }

    bool settled(const QString &id)
    {
        const QString s = state(id);
        return s == QLatin1String("ready") || s == QLatin1String("error");
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        av_log_set_level(AV_LOG_QUIET); // the encoders' statistics would drown the test log
        m_clip720 = m_dir.filePath(QStringLiteral("src720.mp4"));
        SyntheticClip clip;
        clip.width = 1280;
        clip.height = 720;
        clip.seconds = 4.0;
        QVERIFY(writeSyntheticClip(m_clip720, clip).ok());
        startHost();
    }

    void cleanupTestCase() { m_host.reset(); }

    void uploadBecomesAStreamableLadder()
    {
        const auto [tusUrl, id] = upload(m_clip720);
        QVERIFY(!id.isEmpty());
        // Progress goes up while it processes; the stream is announced only when ready.
        double lastPct = -1;
        bool sawProcessing = false;
        DESO_WAIT_VERIFY(([&] {
                             const QJsonObject o = status(id);
                             const QString s = o.value(QStringLiteral("state")).toString();
                             if (s == QLatin1String("queued") || s == QLatin1String("inprogress")) {
                                 sawProcessing = true;
                                 const double pct = o.value(QStringLiteral("pctComplete")).toString().toDouble();
                                 if (pct + 1e-9 < lastPct || o.value(QStringLiteral("ReadyToStream")).toBool()
                                     || o.contains(QStringLiteral("PlaybackURL")))
                                     return true; // caught below
                                 lastPct = pct;
                             }
                             return s == QLatin1String("ready") || s == QLatin1String("error");
                         }()),
                         90000);
        QVERIFY(sawProcessing);
        const QJsonObject o = status(id);
        QCOMPARE(o.value(QStringLiteral("state")).toString(), QStringLiteral("ready"));
        QCOMPARE(o.value(QStringLiteral("ReadyToStream")).toBool(), true);
        QCOMPARE(o.value(QStringLiteral("pctComplete")).toString(), QStringLiteral("100.0"));
        QCOMPARE(o.value(QStringLiteral("Dimensions")).toObject().value(QStringLiteral("width")).toInt(), 1280);
        const QString playbackId = o.value(QStringLiteral("playbackId")).toString();
        QCOMPARE(playbackId.size(), 32);
        const QUrl master(o.value(QStringLiteral("PlaybackURL")).toString());
        QCOMPARE(master.path(), QStringLiteral("/hls/%1/master.m3u8").arg(playbackId));

        HttpReply r = httpSend(m_nam, "GET", master);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("Content-Type"), QByteArray("application/vnd.apple.mpegurl"));
        QVERIFY(r.body.startsWith("#EXTM3U"));
        QVERIFY(r.body.contains("720p/index.m3u8"));
        QVERIFY(r.body.contains("360p/index.m3u8"));

        r = httpSend(m_nam, "GET", master.resolved(QUrl(QStringLiteral("360p/index.m3u8"))));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("Content-Type"), QByteArray("application/vnd.apple.mpegurl"));
        QByteArray firstSegment;
        for (const QByteArray &line : r.body.split('\n')) {
            if (!line.isEmpty() && !line.startsWith('#')) {
                firstSegment = line;
                break;
            }
        }
        QVERIFY(!firstSegment.isEmpty());
        r = httpSend(m_nam, "GET", master.resolved(QUrl(QStringLiteral("360p/") + QString::fromLatin1(firstSegment))));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("Content-Type"), QByteArray("video/mp2t"));
        QVERIFY(r.body.size() > 188 && r.body[0] == 0x47); // MPEG-TS sync byte

        r = httpSend(m_nam, "GET", QUrl(o.value(QStringLiteral("ThumbnailURL")).toString()));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("Content-Type"), QByteArray("image/jpeg"));
        QVERIFY(r.body.startsWith("\xff\xd8\xff"));

        const QUrl download(o.value(QStringLiteral("DownloadURL")).toString());
        QCOMPARE(download.path(), QStringLiteral("/download/%1.mp4").arg(playbackId));
        r = httpSend(m_nam, "GET", download, {{"Range", "bytes=4-11"}});
        QCOMPARE(r.status, 206);
        QCOMPARE(r.header("Content-Type"), QByteArray("video/mp4"));
        QCOMPARE(r.body.size(), 8);
        QVERIFY(r.body.startsWith("ftyp"));

        // Nothing outside the video's folder, and nothing for unknown ids.
        QCOMPARE(httpSend(m_nam, "GET", url("/hls/" + playbackId.toLatin1() + "/../info.json")).status, 404);
        QCOMPARE(httpSend(m_nam, "GET", url("/hls/" + playbackId.toLatin1() + "/360p/..%2Findex.m3u8")).status, 404);
        QCOMPARE(httpSend(m_nam, "GET", url("/thumbnails/" + QByteArray(32, 'a') + ".jpg")).status, 404);
        QCOMPARE(httpSend(m_nam, "GET", url("/download/nope.mp4")).status, 404);

        // Deleting the upload (tus termination) removes its outputs.
        const QString media = QDir(dataDir()).filePath(QStringLiteral("uploads/%1/media").arg(id));
        QVERIFY(QFileInfo(media).isDir());
        r = httpSend(m_nam, "DELETE", tusUrl, {{"Tus-Resumable", "1.0.0"}});
        QCOMPARE(r.status, 204);
        QVERIFY(!QFileInfo::exists(media));
        QCOMPARE(httpSend(m_nam, "GET", master).status, 404);
    }

    void nonVideoFailsWithAReason()
    {
        const QString path = m_dir.filePath(QStringLiteral("notes.txt"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(4096, 'x'));
        f.close();
        const QString id = upload(path).second;
        DESO_WAIT_VERIFY(settled(id), 30000);
        const QJsonObject o = status(id);
        QCOMPARE(o.value(QStringLiteral("state")).toString(), QStringLiteral("error"));
        QCOMPARE(o.value(QStringLiteral("ReadyToStream")).toBool(), false);
        QCOMPARE(o.value(QStringLiteral("errorReasonCode")).toString(), QStringLiteral("ERR_NON_VIDEO"));
        QVERIFY(!o.value(QStringLiteral("errorReasonText")).toString().isEmpty());
    }

    void restartResumesInterruptedJobsAndKeepsFinishedOnes()
    {
        const QString sample = m_dir.filePath(QStringLiteral("sample.mp4"));
        QVERIFY(deso::nodetest::writeSampleClip(sample).ok());
        const QString finishedId = upload(sample).second;
        DESO_WAIT_VERIFY(state(finishedId) == QLatin1String("ready"), 60000);
        const QString interruptedId = upload(m_clip720).second;
        DESO_WAIT_VERIFY(state(interruptedId) != QLatin1String("pendingupload"), 10000);
        m_host->stop(); // cancels a running job; whatever state it reached is on disk

        // As if the host died mid-job (state inprogress, a staging folder left) and
        // just after renaming a finished job's outputs (state not yet saved).
        const QString uploads = QDir(dataDir()).filePath(QStringLiteral("uploads"));
        auto setState = [&](const QString &id, const QString &s) {
            const QString info = QDir(uploads).filePath(id + QStringLiteral("/info.json"));
            QJsonObject o = QJsonDocument::fromJson(readFile(info)).object();
            o.insert(QStringLiteral("state"), s);
            QFile f(info);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(QJsonDocument(o).toJson());
        };
        setState(interruptedId, QStringLiteral("inprogress"));
        QDir(QDir(uploads).filePath(interruptedId + QStringLiteral("/media"))).removeRecursively();
        QVERIFY(QDir().mkpath(QDir(uploads).filePath(interruptedId + QStringLiteral("/media.partial/720p"))));
        setState(finishedId, QStringLiteral("inprogress"));
        const QString marker = QDir(uploads).filePath(finishedId + QStringLiteral("/media/kept-marker"));
        QFile m(marker);
        QVERIFY(m.open(QIODevice::WriteOnly));
        m.close();

        startHost();
        DESO_WAIT_VERIFY(settled(interruptedId) && settled(finishedId), 90000);
        QCOMPARE(state(interruptedId), QStringLiteral("ready"));
        QCOMPARE(state(finishedId), QStringLiteral("ready"));
        QVERIFY2(QFile::exists(marker), "finished outputs were redone");
        QVERIFY(!QFileInfo::exists(QDir(uploads).filePath(interruptedId + QStringLiteral("/media.partial"))));
        const QJsonObject o = status(interruptedId);
        QCOMPARE(httpSend(m_nam, "GET", QUrl(o.value(QStringLiteral("PlaybackURL")).toString())).status, 200);
    }
};

QTEST_GUILESS_MAIN(TestVideoHost)
#include "tst_video_host.moc"
