// The endpoint host's JSON endpoints, video probing and serving, CORS, URLs
// built from Host / X-Forwarded-*, early body refusal and the request log,
// end to end on loopback against the real server.
#include "host/endpointhost.h"
#include "testhttp.h"
#include "video/videoprobe.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace deso::host;

class TestHost : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<EndpointHost> m_host;
    QNetworkAccessManager m_nam;

    QUrl url(const QString &path) const { return m_host->baseUrl().resolved(QUrl(path)); }

    void startHost(HostConfig c)
    {
        c.dataDir = m_dir->path();
        m_host = std::make_unique<EndpointHost>();
        const auto s = m_host->start(c);
        QVERIFY2(s.ok(), qPrintable(s.ok() ? QString() : s.error().toString()));
    }

    // Uploads `bytes` with tus in one PATCH; returns the Stream-Media-Id.
    QString upload(const QByteArray &bytes)
    {
        const HttpReply c = httpSend(m_nam, "POST", url(QStringLiteral("/api/v0/upload-video")),
                                     {{"Upload-Length", QByteArray::number(bytes.size())}, {"Tus-Resumable", "1.0.0"}});
        const HttpReply p = httpSend(m_nam, "PATCH", QUrl(QString::fromLatin1(c.header("Location"))),
                                     {{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", "0"},
                                      {"Content-Type", "application/offset+octet-stream"}},
                                     bytes);
        if (p.status != 204)
            qWarning() << "upload failed" << c.status << p.status << p.body;
        return QString::fromLatin1(c.header("Stream-Media-Id"));
    }

    QJsonObject status(const QString &id)
    {
        return QJsonDocument::fromJson(httpSend(m_nam, "GET", url(QStringLiteral("/api/v0/get-video-status/") + id)).body).object();
    }

    // Polls like a client until the video leaves pendingupload/inprogress.
    QJsonObject settledStatus(const QString &id)
    {
        QJsonObject o;
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 10000) {
            o = status(id);
            const QString s = o.value(QStringLiteral("state")).toString();
            if (s == QLatin1String("ready") || s == QLatin1String("error"))
                break;
            QTest::qWait(20);
        }
        return o;
    }

    static QByteArray tinyMp4() { return readFile(QStringLiteral(DESO_TEST_DATA_DIR "/tiny.mp4")); }

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        startHost({});
    }

    void cleanup()
    {
        m_host.reset();
        m_dir.reset();
    }

    void bindsLoopbackAndRefusesOthersUnlessAllowed()
    {
        QCOMPARE(m_host->baseUrl().host(), QStringLiteral("127.0.0.1"));
        QVERIFY(m_host->port() > 0);
        EndpointHost other;
        HostConfig c;
        c.dataDir = m_dir->path();
        c.bindAddress = QHostAddress::AnyIPv4;
        const auto s = other.start(c);
        QVERIFY(!s.ok());
        QCOMPARE(s.error().code, QStringLiteral("host.non_loopback"));
        QVERIFY(!other.isRunning());
    }

    void probeReadsARealVideo()
    {
        const QString path = m_dir->filePath(QStringLiteral("tiny.mp4"));
        QVERIFY(QFile::copy(QStringLiteral(DESO_TEST_DATA_DIR "/tiny.mp4"), path));
        const auto info = deso::video::VideoProbe::probe(path);
        QVERIFY2(info.ok(), qPrintable(info.ok() ? QString() : info.error().toString()));
        QCOMPARE(info->width, 64);
        QCOMPARE(info->height, 48);
        QCOMPARE(info->durationSeconds, 2.0);
        QCOMPARE(info->videoCodec, QStringLiteral("h264"));
        QCOMPARE(info->mimeType, QStringLiteral("video/mp4"));
    }

    void videoStatusAfterUploadComesFromTheProbe()
    {
        const QByteArray bytes = tinyMp4();
        const QString id = upload(bytes);
        const QJsonObject o = settledStatus(id);
        QCOMPARE(o.value(QStringLiteral("ReadyToStream")).toBool(), true);
        QCOMPARE(o.value(QStringLiteral("Duration")).toDouble(), 2.0);
        QCOMPARE(o.value(QStringLiteral("Dimensions")).toObject().value(QStringLiteral("width")).toInt(), 64);
        QCOMPARE(o.value(QStringLiteral("Dimensions")).toObject().value(QStringLiteral("height")).toInt(), 48);
        QCOMPARE(o.value(QStringLiteral("state")).toString(), QStringLiteral("ready"));

        const HttpReply dims = httpSend(m_nam, "GET", url(QStringLiteral("/api/v0/get-video-dimensions/") + id));
        QCOMPARE(dims.status, 200);
        QCOMPARE(QJsonDocument::fromJson(dims.body).object(), (QJsonObject{{QStringLiteral("height"), 48}, {QStringLiteral("width"), 64}}));
    }

    void videoStatusWhileUploading()
    {
        const HttpReply c = httpSend(m_nam, "POST", url(QStringLiteral("/api/v0/upload-video")), {{"Upload-Length", "200"}});
        const QString id = QString::fromLatin1(c.header("Stream-Media-Id"));
        QCOMPARE(httpSend(m_nam, "PATCH", QUrl(QString::fromLatin1(c.header("Location"))),
                          {{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", "0"}, {"Content-Type", "application/offset+octet-stream"}},
                          QByteArray(50, 'x')).status, 204);
        const QJsonObject o = status(id);
        QCOMPARE(o.value(QStringLiteral("ReadyToStream")).toBool(), false);
        QCOMPARE(o.value(QStringLiteral("state")).toString(), QStringLiteral("pendingupload"));
        QCOMPARE(o.value(QStringLiteral("pctComplete")).toString(), QStringLiteral("25.0"));
        QVERIFY(o.contains(QStringLiteral("Duration")) && o.contains(QStringLiteral("Dimensions")));
        const HttpReply dims = httpSend(m_nam, "GET", url(QStringLiteral("/api/v0/get-video-dimensions/") + id));
        QCOMPARE(dims.status, 409);
    }

    void nonVideoAndMalformedVideo()
    {
        const QString text = upload(QByteArray("this is a text file, not a video\n").repeated(40));
        QJsonObject o = settledStatus(text);
        QCOMPARE(o.value(QStringLiteral("state")).toString(), QStringLiteral("error"));
        QCOMPARE(o.value(QStringLiteral("errorReasonCode")).toString(), QStringLiteral("ERR_NON_VIDEO"));
        QCOMPARE(o.value(QStringLiteral("ReadyToStream")).toBool(), false);

        // An MP4 cut short: the container is recognised but cannot be read.
        const QString cut = upload(tinyMp4().left(200));
        o = settledStatus(cut);
        QCOMPARE(o.value(QStringLiteral("errorReasonCode")).toString(), QStringLiteral("ERR_MALFORMED_VIDEO"));
        QCOMPARE(httpSend(m_nam, "GET", url(QStringLiteral("/videos/") + cut)).status, 404);
    }

    void videoStatusErrors()
    {
        HttpReply r = httpSend(m_nam, "GET", url(QStringLiteral("/api/v0/get-video-status/ABC")));
        QCOMPARE(r.status, 400);
        QCOMPARE(QJsonDocument::fromJson(r.body).object().value(QStringLiteral("error")).toString(),
                 QStringLiteral("GetVideoStatus: videoId must match [0-9a-z]{25,35}"));
        r = httpSend(m_nam, "GET", url(QStringLiteral("/api/v0/get-video-status/") + QString(32, QLatin1Char('0'))));
        QCOMPARE(r.status, 404);
        QVERIFY(QJsonDocument::fromJson(r.body).object().contains(QStringLiteral("error")));
        QCOMPARE(httpSend(m_nam, "GET", url(QStringLiteral("/api/v0/get-video-dimensions/x"))).status, 400);
        QCOMPARE(httpSend(m_nam, "GET", url(QStringLiteral("/api/v0/get-video-dimensions/") + QString(30, QLatin1Char('a')))).status, 404);
        QCOMPARE(httpSend(m_nam, "GET", url(QStringLiteral("/api/v0/no-such-thing"))).status, 404);
    }

    void videosServeRanges()
    {
        const QByteArray bytes = tinyMp4();
        const QString id = upload(bytes);
        QCOMPARE(settledStatus(id).value(QStringLiteral("state")).toString(), QStringLiteral("ready"));
        const QUrl u = url(QStringLiteral("/videos/") + id);

        HttpReply r = httpSend(m_nam, "GET", u);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, bytes);
        QCOMPARE(r.header("Content-Type"), QByteArray("video/mp4"));
        QCOMPARE(r.header("Accept-Ranges"), QByteArray("bytes"));

        r = httpSend(m_nam, "GET", u, {{"Range", "bytes=100-299"}});
        QCOMPARE(r.status, 206);
        QCOMPARE(r.body, bytes.mid(100, 200));
        QCOMPARE(r.header("Content-Range"), "bytes 100-299/" + QByteArray::number(bytes.size()));

        r = httpSend(m_nam, "GET", u, {{"Range", "bytes=-10"}});
        QCOMPARE(r.status, 206);
        QCOMPARE(r.body, bytes.right(10));

        r = httpSend(m_nam, "GET", u, {{"Range", "bytes=3000-"}});
        QCOMPARE(r.status, 206);
        QCOMPARE(r.body, bytes.mid(3000));

        r = httpSend(m_nam, "GET", u, {{"Range", "bytes=999999-"}});
        QCOMPARE(r.status, 416);
        QCOMPARE(r.header("Content-Range"), "bytes */" + QByteArray::number(bytes.size()));

        r = httpSend(m_nam, "HEAD", u);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("Content-Length").toLongLong(), bytes.size());
        QVERIFY(r.body.isEmpty());

        QCOMPARE(httpSend(m_nam, "GET", url(QStringLiteral("/videos/") + QString(32, QLatin1Char('f')))).status, 404);
    }

    void imagesAreServedWithCaching()
    {
        // Names are SHA-256 content addresses; put one in the store by hand.
        const QByteArray gif = QByteArray::fromBase64("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");
        const QString name = QString::fromLatin1(QCryptographicHash::hash(gif.toBase64(), QCryptographicHash::Sha256).toHex()) + QStringLiteral(".gif");
        QFile f(m_dir->filePath(QStringLiteral("images/") + name));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(gif);
        f.close();
        HttpReply r = httpSend(m_nam, "GET", url(QStringLiteral("/images/") + name));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, gif);
        QCOMPARE(r.header("Content-Type"), QByteArray("image/gif"));
        QVERIFY(r.header("Cache-Control").contains("immutable"));
        QCOMPARE(httpSend(m_nam, "GET", url(QStringLiteral("/images/") + QString(64, QLatin1Char('0')) + QStringLiteral(".webp"))).status, 404);
        QCOMPARE(httpSend(m_nam, "GET", url(QStringLiteral("/images/..%2Fuploads"))).status, 404);
    }

    void corsOnEveryPath()
    {
        // A web origin the host is told to allow (loopback origins are allowed anyway).
        const QByteArray origin = "https://creator.example";
        HostConfig allowing;
        allowing.allowedOrigins = {QString::fromLatin1(origin)};
        m_host.reset();
        startHost(allowing);
        HttpReply r = httpSend(m_nam, "OPTIONS", url(QStringLiteral("/api/v0/get-full-tiktok-url")),
                               {{"Origin", origin}, {"Access-Control-Request-Method", "POST"},
                                {"Access-Control-Request-Headers", "content-type"}});
        QVERIFY(r.status == 200 || r.status == 204);
        QCOMPARE(r.header("Access-Control-Allow-Origin"), origin);
        QCOMPARE(r.header("Access-Control-Allow-Headers"), QByteArray("*"));
        QCOMPARE(r.header("Access-Control-Allow-Methods"), QByteArray("GET, PUT, POST, DELETE, OPTIONS"));

        r = httpSend(m_nam, "GET", url(QStringLiteral("/api/v0/get-video-status/abc")), {{"Origin", origin}});
        QCOMPARE(r.header("Access-Control-Allow-Origin"), origin);
        r = httpSend(m_nam, "GET", url(QStringLiteral("/api/v0/get-video-status/abc")));
        QCOMPARE(r.header("Access-Control-Allow-Origin"), QByteArray("*"));

        r = httpSend(m_nam, "POST", url(QStringLiteral("/api/v0/upload-video")), {{"Origin", origin}, {"Upload-Length", "5"}});
        QCOMPARE(r.header("Access-Control-Allow-Origin"), origin);
        QCOMPARE(r.header("Access-Control-Expose-Headers"), QByteArray("Location, Stream-Media-Id"));
        // The tus URL allows what a browser tus client sends.
        r = httpSend(m_nam, "OPTIONS", QUrl(QString::fromLatin1(r.header("Location"))),
                     {{"Origin", origin}, {"Access-Control-Request-Method", "PATCH"}});
        QVERIFY(r.header("Access-Control-Allow-Methods").contains("PATCH"));
        QVERIFY(r.header("Access-Control-Expose-Headers").contains("Upload-Offset"));
    }

    void handedOutUrlsFollowHostAndTrustedForwarding()
    {
        // Names other than loopback ones are served only when listed (DNS rebinding guard).
        HostConfig named;
        named.allowedHosts = {QStringLiteral("media.example")};
        m_host.reset();
        startHost(named);
        HttpReply r = httpSend(m_nam, "POST", url(QStringLiteral("/api/v0/upload-video")),
                               {{"Upload-Length", "5"}, {"Host", "media.example:8443"},
                                {"X-Forwarded-Host", "evil.example"}, {"X-Forwarded-Proto", "https"}});
        QVERIFY2(r.header("Location").startsWith("http://media.example:8443/tus/"), r.header("Location").constData());

        HostConfig c;
        c.trustForwardedHeaders = true;
        c.allowedHosts = {QStringLiteral("*")}; // behind a proxy: any name the proxy forwards
        m_host.reset();
        startHost(c);
        r = httpSend(m_nam, "POST", url(QStringLiteral("/api/v0/upload-video")),
                     {{"Upload-Length", "5"}, {"X-Forwarded-Host", "proxy.example"}, {"X-Forwarded-Proto", "https"}});
        QVERIFY2(r.header("Location").startsWith("https://proxy.example/tus/"), r.header("Location").constData());
        // A Host header that is not a plain authority is not echoed into URLs.
        const QByteArray raw = rawExchange(m_host->port(),
                                           "POST /api/v0/upload-video HTTP/1.1\r\nHost: a b/c\r\nUpload-Length: 5\r\nConnection: close\r\n\r\n");
        QVERIFY2(raw.contains("Location: http://127.0.0.1:" + QByteArray::number(m_host->port()) + "/tus/"), raw.constData());
    }

    void largeBodiesForJsonEndpointsAreRefusedBeforeReading()
    {
        // Content-Length far past the endpoint's bound: answered 413 from the
        // head alone, so QHttpServer never buffers it.
        const QByteArray raw = rawExchange(m_host->port(),
                                           "POST /api/v0/get-full-tiktok-url HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                           "Content-Length: 500000000\r\nExpect: 100-continue\r\n\r\n");
        QVERIFY2(raw.startsWith("HTTP/1.1 413"), raw.left(300).constData());
        QVERIFY(raw.contains("\"error\""));
        const QByteArray img = rawExchange(m_host->port(),
                                           "POST /api/v0/upload-image HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                                           "Content-Length: 50000000\r\nExpect: 100-continue\r\n\r\n");
        QVERIFY2(img.startsWith("HTTP/1.1 413"), img.left(300).constData());
    }

    void expectContinueIsAnsweredForQHttpServerBodies()
    {
        // curl sends Expect: 100-continue for larger forms; QHttpServer 6.4 would
        // leave it unanswered (curl then waits 1 s), so the listener answers it.
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, m_host->port());
        QVERIFY(s.waitForConnected(5000));
        const QByteArray body = R"({"TikTokShortVideoID":"ab"})";
        s.write("POST /api/v0/get-full-tiktok-url HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Expect: 100-continue\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n");
        QByteArray got;
        QTRY_VERIFY_WITH_TIMEOUT((got += s.readAll()).contains("\r\n\r\n"), 5000);
        QCOMPARE(got, QByteArray("HTTP/1.1 100 Continue\r\n\r\n"));
        s.write(body);
        QTRY_VERIFY_WITH_TIMEOUT((got += s.readAll()).contains("does not conform to regex"), 5000);
        QVERIFY2(got.contains("HTTP/1.1 400"), got.constData());
    }

    void requestLogRecordsEachRequest()
    {
        QSignalSpy spy(m_host.get(), &EndpointHost::requestLogged);
        const QString id = upload(QByteArray(100, 'v'));
        (void)httpSend(m_nam, "GET", url(QStringLiteral("/api/v0/get-video-status/") + id));
        QTRY_COMPARE(spy.count(), 3);
        const auto create = spy.at(0).at(0).value<RequestLogEntry>();
        QCOMPARE(create.method, QStringLiteral("POST"));
        QCOMPARE(create.path, QStringLiteral("/api/v0/upload-video"));
        QCOMPARE(create.status, 200);
        const auto patch = spy.at(1).at(0).value<RequestLogEntry>();
        QCOMPARE(patch.method, QStringLiteral("PATCH"));
        QCOMPARE(patch.status, 204);
        QCOMPARE(patch.bytes, 100);
        QVERIFY2(patch.path.startsWith(QStringLiteral("/tus/")) && patch.path.size() < 30, qPrintable(patch.path)); // token not logged whole
        const auto get = spy.at(2).at(0).value<RequestLogEntry>();
        QCOMPARE(get.method, QStringLiteral("GET"));
        QCOMPARE(get.status, 200);
        QVERIFY(get.bytes > 0);
        QVERIFY(get.at.isValid());
    }
};

QTEST_GUILESS_MAIN(TestHost)
#include "tst_host.moc"
