// The host's tus 1.0.0 server, end to end on loopback: creation through
// /api/v0/upload-video, chunks with HEAD/resume, checksums, offsets, protocol
// errors, expiry, termination, production chunk rules and a restart mid-upload.
#include "host/endpointhost.h"
#include "testfiles.h"
#include "testhttp.h"

#include <QCryptographicHash>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/socket.h>

using namespace deso::host;

using HeaderPairs = QList<QPair<QByteArray, QByteArray>>;

namespace {

QByteArray randomBytes(qsizetype n, quint32 seed)
{
    QByteArray b(n, Qt::Uninitialized);
    QRandomGenerator gen(seed);
    for (qsizetype i = 0; i < n; ++i)
        b[i] = char(gen.generate() & 0xff);
    return b;
}

const QByteArray kOffsetType = "application/offset+octet-stream";

} // namespace

class TestTusServer : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dirHolder;
    std::unique_ptr<EndpointHost> m_host;
    QNetworkAccessManager m_nam;

    HostConfig config() const
    {
        HostConfig c;
        c.dataDir = m_dirHolder->path();
        // The web app a browser tus client runs in (CORS answers only allowed origins).
        c.allowedOrigins = {QStringLiteral("https://app.example")};
        return c;
    }

    void restartHost(const HostConfig &c)
    {
        m_host = std::make_unique<EndpointHost>();
        const auto s = m_host->start(c);
        QVERIFY2(s.ok(), qPrintable(s.ok() ? QString() : s.error().toString()));
    }

    QUrl url(const QString &path) const { return m_host->baseUrl().resolved(QUrl(path)); }

    // Creates an upload; returns its Location and id.
    QPair<QUrl, QByteArray> create(qint64 length, const QByteArray &metadata = {})
    {
        QList<QPair<QByteArray, QByteArray>> h{{"Upload-Length", QByteArray::number(length)},
                                               {"Tus-Resumable", "1.0.0"}};
        if (!metadata.isEmpty())
            h.append({"Upload-Metadata", metadata});
        const HttpReply r = httpSend(m_nam, "POST", url(QStringLiteral("/api/v0/upload-video")), h);
        if (r.status != 200)
            qWarning() << "creation failed" << r.status << r.body;
        return {QUrl(QString::fromLatin1(r.header("Location"))), r.header("Stream-Media-Id")};
    }

    HttpReply patch(const QUrl &location, qint64 offset, const QByteArray &bytes,
                    QList<QPair<QByteArray, QByteArray>> extra = {})
    {
        QList<QPair<QByteArray, QByteArray>> h{{"Tus-Resumable", "1.0.0"},
                                               {"Upload-Offset", QByteArray::number(offset)},
                                               {"Content-Type", kOffsetType}};
        h += extra;
        return httpSend(m_nam, "PATCH", location, h, bytes);
    }

    HttpReply head(const QUrl &location) { return httpSend(m_nam, "HEAD", location, {{"Tus-Resumable", "1.0.0"}}); }

    QString dataFile(const QByteArray &id) const
    {
        return m_dirHolder->filePath(QStringLiteral("uploads/") + QString::fromLatin1(id) + QStringLiteral("/data"));
    }

private slots:
    void init()
    {
        m_dirHolder = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dirHolder->isValid());
        restartHost(config());
    }

    void cleanup()
    {
        m_host.reset();
        m_dirHolder.reset();
    }

    void creationAnswersLikeTheNode()
    {
        const HttpReply r = httpSend(m_nam, "POST", url(QStringLiteral("/api/v0/upload-video")),
                                     {{"Upload-Length", "1234"}, {"Upload-Metadata", "filename Y2xpcC5tcDQ=,is_private"}});
        QCOMPARE(r.status, 200);
        const QString location = QString::fromLatin1(r.header("Location"));
        // Built from the Host header the client sent, with an unguessable 256-bit token.
        QVERIFY2(QRegularExpression(QStringLiteral("^http://127\\.0\\.0\\.1:%1/tus/[0-9a-f]{64}$").arg(m_host->port()))
                     .match(location).hasMatch(), qPrintable(location));
        QVERIFY(QRegularExpression(QStringLiteral("^[0-9a-f]{32}$")).match(QString::fromLatin1(r.header("Stream-Media-Id"))).hasMatch());
        QCOMPARE(r.header("Access-Control-Expose-Headers"), QByteArray("Location, Stream-Media-Id"));
        QVERIFY(!r.header("Upload-Expires").isEmpty());

        const HttpReply h = head(QUrl(location));
        QCOMPARE(h.status, 200);
        QCOMPARE(h.header("Upload-Offset"), QByteArray("0"));
        QCOMPARE(h.header("Upload-Length"), QByteArray("1234"));
        QCOMPARE(h.header("Cache-Control"), QByteArray("no-store"));
        QCOMPARE(h.header("Upload-Metadata"), QByteArray("filename Y2xpcC5tcDQ=,is_private"));
        QCOMPARE(h.header("Stream-Media-Id"), r.header("Stream-Media-Id"));
        QCOMPARE(h.header("Tus-Resumable"), QByteArray("1.0.0"));
    }

    void creationErrors_data()
    {
        QTest::addColumn<HeaderPairs>("headers");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("error");
        using H = QList<QPair<QByteArray, QByteArray>>;
        QTest::newRow("no length") << H{} << 400 << QStringLiteral("UploadVideo: Must provide Upload-Length header");
        QTest::newRow("over 250 MiB") << H{{"Upload-Length", "262144001"}} << 400
                                      << QStringLiteral("UploadVideo: Files must be less than 250MB");
        QTest::newRow("not a number") << H{{"Upload-Length", "12x"}} << 400
                                      << QStringLiteral("UploadVideo: Unable to convert Upload-Length header to int for validation: 12x");
        QTest::newRow("bad metadata") << H{{"Upload-Length", "10"}, {"Upload-Metadata", "name !!notbase64"}} << 400
                                      << QStringLiteral("Upload-Metadata must be comma-separated \"key base64value\" pairs.");
        QTest::newRow("wrong tus version") << H{{"Upload-Length", "10"}, {"Tus-Resumable", "0.2.2"}} << 412
                                           << QStringLiteral("Tus-Resumable must be 1.0.0.");
    }

    void creationErrors()
    {
        QFETCH(HeaderPairs, headers);
        QFETCH(int, status);
        QFETCH(QString, error);
        const HttpReply r = httpSend(m_nam, "POST", url(QStringLiteral("/api/v0/upload-video")), headers);
        QCOMPARE(r.status, status);
        QCOMPARE(QJsonDocument::fromJson(r.body).object().value(QStringLiteral("error")).toString(), error);
        QVERIFY(QDir(m_dirHolder->filePath(QStringLiteral("uploads"))).entryList(QDir::Dirs | QDir::NoDotAndDotDot).isEmpty());
    }

    void exactly250MiBIsAccepted()
    {
        const auto [location, id] = create(262144000);
        QVERIFY(location.isValid() && !id.isEmpty());
    }

    void optionsAdvertisesTheExtensions()
    {
        const auto [location, id] = create(10);
        for (const QUrl &u : {url(QStringLiteral("/api/v0/upload-video")), location}) {
            const HttpReply r = httpSend(m_nam, "OPTIONS", u, {{"Origin", "https://app.example"}});
            QCOMPARE(r.status, 204);
            QCOMPARE(r.header("Tus-Version"), QByteArray("1.0.0"));
            QCOMPARE(r.header("Tus-Max-Size"), QByteArray("262144000"));
            const QByteArray ext = r.header("Tus-Extension");
            for (const char *e : {"creation", "creation-with-upload", "expiration", "checksum", "termination"})
                QVERIFY2(ext.split(',').contains(QByteArray(e)), ext.constData());
            QVERIFY(r.header("Tus-Checksum-Algorithm").contains("sha1"));
            QCOMPARE(r.header("Access-Control-Allow-Origin"), QByteArray("https://app.example"));
        }
    }

    void chunkedUploadWithHeadInBetween()
    {
        const QByteArray bytes = randomBytes(3 * 65536 + 1234, 7);
        const auto [location, id] = create(bytes.size());
        qint64 offset = 0;
        const qint64 chunk = 65536;
        while (offset < bytes.size()) {
            const HttpReply h = head(location);
            QCOMPARE(h.status, 200);
            QCOMPARE(h.header("Upload-Offset").toLongLong(), offset); // resume point from the server
            const QByteArray piece = bytes.mid(offset, chunk);
            const HttpReply r = patch(location, offset, piece);
            QCOMPARE(r.status, 204);
            QCOMPARE(r.header("Stream-Media-Id"), id);
            offset += piece.size();
            QCOMPARE(r.header("Upload-Offset").toLongLong(), offset);
        }
        QCOMPARE(readFile(dataFile(id)), bytes);
        // A finished upload's URL takes no more writes.
        const HttpReply again = patch(location, offset, QByteArray("x"));
        QCOMPARE(again.status, 403);
        QCOMPARE(readFile(dataFile(id)), bytes);
    }

    void wrongOffsetIs409AndWritesNothing()
    {
        const QByteArray bytes = randomBytes(1000, 3);
        const auto [location, id] = create(bytes.size());
        QCOMPARE(patch(location, 0, bytes.left(400)).status, 204);
        const HttpReply r = patch(location, 100, bytes.mid(100, 300));
        QCOMPARE(r.status, 409);
        QCOMPARE(r.header("Stream-Media-Id"), id);
        QCOMPARE(head(location).header("Upload-Offset"), QByteArray("400"));
        QCOMPARE(readFile(dataFile(id)), bytes.left(400));
        // The client recovers by asking and continuing where the server is.
        QCOMPARE(patch(location, 400, bytes.mid(400)).status, 204);
        QCOMPARE(readFile(dataFile(id)), bytes);
    }

    void checksumMatchesAndMismatches()
    {
        const QByteArray bytes = randomBytes(5000, 11);
        const auto [location, id] = create(bytes.size());
        const QByteArray first = bytes.left(2000);
        const QByteArray sha1 = QCryptographicHash::hash(first, QCryptographicHash::Sha1).toBase64();
        QCOMPARE(patch(location, 0, first, {{"Upload-Checksum", "sha1 " + sha1}}).status, 204);

        const QByteArray second = bytes.mid(2000, 2000);
        const QByteArray wrong = QCryptographicHash::hash(QByteArray("other"), QCryptographicHash::Sha1).toBase64();
        const HttpReply bad = patch(location, 2000, second, {{"Upload-Checksum", "sha1 " + wrong}});
        QCOMPARE(bad.status, 460);
        QCOMPARE(head(location).header("Upload-Offset"), QByteArray("2000"));
        QCOMPARE(QFileInfo(dataFile(id)).size(), 2000); // nothing written

        const QByteArray sha256 = QCryptographicHash::hash(second, QCryptographicHash::Sha256).toBase64();
        QCOMPARE(patch(location, 2000, second, {{"Upload-Checksum", "sha256 " + sha256}}).status, 204);
        QCOMPARE(patch(location, 4000, bytes.mid(4000), {{"Upload-Checksum", "sha384 AAAAAA=="}}).status, 400);
        QCOMPARE(patch(location, 4000, bytes.mid(4000), {{"Upload-Checksum", "crc32 AAAAAAAA"}}).status, 400); // 6 bytes
        QCOMPARE(patch(location, 4000, bytes.mid(4000)).status, 204);
        QCOMPARE(readFile(dataFile(id)), bytes);
    }

    // crc32, the client's first choice: the reference is computed bit by bit in the test,
    // independently of the host's libdeflate; the check value of "123456789" is CBF43926.
    void crc32ChecksumMatchesAndMismatches()
    {
        QCOMPARE(QByteArray::fromBase64(testcommon::crc32Base64("123456789")).toHex(), QByteArray("cbf43926"));
        QVERIFY(httpSend(m_nam, "OPTIONS", url(QStringLiteral("/api/v0/upload-video")), {}).header("Tus-Checksum-Algorithm").split(',').contains("crc32"));
        const qint64 MiB = 1024 * 1024;
        const QByteArray bytes = randomBytes(int(6 * MiB + 17), 13);
        const auto [location, id] = create(bytes.size());
        const QByteArray first = bytes.left(int(5 * MiB));
        QCOMPARE(patch(location, 0, first, {{"Upload-Checksum", "crc32 " + testcommon::crc32Base64(first)}}).status, 204);
        QByteArray second = bytes.mid(first.size());
        const QByteArray secondCrc = testcommon::crc32Base64(second);
        second[7] = char(second.at(7) ^ 0x10);
        QCOMPARE(patch(location, first.size(), second, {{"Upload-Checksum", "crc32 " + secondCrc}}).status, 460);
        QCOMPARE(QFileInfo(dataFile(id)).size(), first.size());
        QCOMPARE(patch(location, first.size(), bytes.mid(first.size()), {{"Upload-Checksum", "CRC32 " + secondCrc}}).status, 204);
        QCOMPARE(readFile(dataFile(id)), bytes);
    }

    // Chunks of several MiB: the digest is computed on the PATCH's follower thread from the
    // bytes read back while more arrive (several pieces, then the tail at the end).
    void checksumOfLargeChunksIsCheckedWhileTheyStream()
    {
        const qint64 MiB = 1024 * 1024;
        const QByteArray bytes = randomBytes(int(21 * MiB + 123), 12);
        const auto [location, id] = create(bytes.size());
        const QByteArray first = bytes.left(int(13 * MiB + 7));
        const QByteArray sha256 = QCryptographicHash::hash(first, QCryptographicHash::Sha256).toBase64();
        QCOMPARE(patch(location, 0, first, {{"Upload-Checksum", "sha256 " + sha256}}).status, 204);

        // One byte differs at the very end of a long chunk: refused whole, nothing kept.
        QByteArray second = bytes.mid(first.size());
        const QByteArray secondSha = QCryptographicHash::hash(second, QCryptographicHash::Sha256).toBase64();
        second[second.size() - 1] = char(second.at(second.size() - 1) ^ 1);
        QCOMPARE(patch(location, first.size(), second, {{"Upload-Checksum", "sha256 " + secondSha}}).status, 460);
        QCOMPARE(head(location).header("Upload-Offset"), QByteArray::number(first.size()));
        QCOMPARE(QFileInfo(dataFile(id)).size(), first.size());

        QCOMPARE(patch(location, first.size(), bytes.mid(first.size()), {{"Upload-Checksum", "sha256 " + secondSha}}).status, 204);
        QCOMPARE(readFile(dataFile(id)), bytes);
    }

    void protocolErrors()
    {
        const auto [location, id] = create(100);
        // 412: wrong or missing Tus-Resumable.
        HttpReply r = httpSend(m_nam, "PATCH", location,
                               {{"Tus-Resumable", "0.2.2"}, {"Upload-Offset", "0"}, {"Content-Type", kOffsetType}}, "abc");
        QCOMPARE(r.status, 412);
        QCOMPARE(r.header("Tus-Version"), QByteArray("1.0.0"));
        QCOMPARE(r.header("Stream-Media-Id"), id);
        QCOMPARE(httpSend(m_nam, "HEAD", location).status, 412);
        // 415: not application/offset+octet-stream.
        r = httpSend(m_nam, "PATCH", location,
                     {{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", "0"}, {"Content-Type", "application/octet-stream"}}, "abc");
        QCOMPARE(r.status, 415);
        QCOMPARE(r.header("Stream-Media-Id"), id);
        // 413: past Upload-Length.
        QCOMPARE(patch(location, 0, QByteArray(101, 'x')).status, 413);
        // 400: no Upload-Offset.
        QCOMPARE(httpSend(m_nam, "PATCH", location, {{"Tus-Resumable", "1.0.0"}, {"Content-Type", kOffsetType}}, "abc").status, 400);
        // 404: unknown token.
        QCOMPARE(head(url(QStringLiteral("/tus/") + QString(64, QLatin1Char('a')))).status, 404);
        QCOMPARE(head(location).header("Upload-Offset"), QByteArray("0"));
        QCOMPARE(QFileInfo(dataFile(id)).size(), 0);
    }

    void creationWithUpload()
    {
        const QByteArray bytes = randomBytes(3000, 5);
        const HttpReply r = httpSend(m_nam, "POST", url(QStringLiteral("/api/v0/upload-video")),
                                     {{"Upload-Length", "3000"}, {"Tus-Resumable", "1.0.0"}, {"Content-Type", kOffsetType}},
                                     bytes.left(1000));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("Upload-Offset"), QByteArray("1000"));
        const QUrl location(QString::fromLatin1(r.header("Location")));
        QCOMPARE(patch(location, 1000, bytes.mid(1000)).status, 204);
        QCOMPARE(readFile(dataFile(r.header("Stream-Media-Id"))), bytes);
    }

    void terminationDeletes()
    {
        const auto [location, id] = create(100);
        QCOMPARE(patch(location, 0, QByteArray(50, 'a')).status, 204);
        const HttpReply r = httpSend(m_nam, "DELETE", location, {{"Tus-Resumable", "1.0.0"}});
        QCOMPARE(r.status, 204);
        QCOMPARE(r.header("Stream-Media-Id"), id);
        QCOMPARE(head(location).status, 404);
        QVERIFY(!QFileInfo::exists(dataFile(id)));
    }

    void expiredUploadsAreCleanedUp()
    {
        HostConfig c = config();
        c.uploadExpirySeconds = 0; // every incomplete upload is already past its expiry
        restartHost(c);
        const auto [location, id] = create(100);
        QVERIFY(QFileInfo::exists(dataFile(id)));
        const HttpReply r = head(location);
        QCOMPARE(r.status, 410);
        QVERIFY(!QFileInfo::exists(dataFile(id)));

        const auto [location2, id2] = create(100);
        QVERIFY(QFileInfo::exists(dataFile(id2)));
        QCOMPARE(m_host->purgeExpiredUploads(), 1);
        QVERIFY(!QFileInfo::exists(dataFile(id2)));
        QCOMPARE(head(location2).status, 404);
    }

    void productionChunkRules()
    {
        HostConfig c = config();
        c.enforceProductionChunkRules = true;
        restartHost(c);
        const qint64 mib = 1024 * 1024;
        const QByteArray bytes = randomBytes(5 * mib + 1000, 9);
        const auto [location, id] = create(bytes.size());
        HttpReply r = patch(location, 0, bytes.left(mib));
        QCOMPARE(r.status, 400); // below 5 MiB and not the last chunk
        QVERIFY(r.body.contains("at least 5242880"));
        r = patch(location, 0, bytes.left(5 * mib + 10));
        QCOMPARE(r.status, 400); // not a multiple of 256 KiB
        QCOMPARE(patch(location, 0, bytes.left(5 * mib)).status, 204);
        QCOMPARE(patch(location, 5 * mib, bytes.mid(5 * mib)).status, 204); // the last one may be small
        QCOMPARE(readFile(dataFile(id)), bytes);
    }

    void restartMidUploadResumesByteIdentical()
    {
        const QByteArray bytes = readFile(QStringLiteral(DESO_TEST_DATA_DIR "/tiny.mp4"));
        QVERIFY(bytes.size() > 3000);
        const auto [location, id] = create(bytes.size(), "filename dGlueS5tcDQ=");
        QCOMPARE(patch(location, 0, bytes.left(1000)).status, 204);
        QCOMPARE(patch(location, 1000, bytes.mid(1000, 1000)).status, 204);

        const quint16 port = m_host->port();
        HostConfig c = config();
        c.port = port; // same URL, as after a real restart
        m_host.reset();
        QCOMPARE(httpSend(m_nam, "HEAD", location, {{"Tus-Resumable", "1.0.0"}}).error,
                 QNetworkReply::ConnectionRefusedError);
        restartHost(c);

        const HttpReply h = head(location);
        QCOMPARE(h.status, 200);
        QCOMPARE(h.header("Upload-Offset"), QByteArray("2000"));
        QCOMPARE(h.header("Upload-Metadata"), QByteArray("filename dGlueS5tcDQ="));
        QCOMPARE(patch(location, 2000, bytes.mid(2000)).status, 204);
        QCOMPARE(readFile(dataFile(id)), bytes);

        // The finished upload is probed with libavformat off the server thread.
        HttpReply status;
        QTRY_VERIFY_WITH_TIMEOUT((status = httpSend(m_nam, "GET", url(QStringLiteral("/api/v0/get-video-status/") + QString::fromLatin1(id))),
                                  QJsonDocument::fromJson(status.body).object().value(QStringLiteral("ReadyToStream")).toBool()),
                                 10000);
    }

    void largeChunkStreamsWithoutBuffering()
    {
        // 24 MiB in one PATCH through the raw path (QHttpServer would hold ~2x in RAM).
        const QByteArray bytes = randomBytes(24 * 1024 * 1024, 21);
        const auto [location, id] = create(bytes.size());
        const HttpReply r = patch(location, 0, bytes);
        QCOMPARE(r.status, 204);
        QCOMPARE(r.header("Upload-Offset").toLongLong(), bytes.size());
        QCOMPARE(readFile(dataFile(id)), bytes);
    }

    void droppedConnectionKeepsWhatArrived()
    {
        // Without a checksum the bytes that arrived before the peer vanished count
        // (tus: the server should keep them); with one, nothing may be kept.
        const QByteArray bytes = randomBytes(100000, 17);
        for (const bool withChecksum : {false, true}) {
            const auto [location, id] = create(bytes.size());
            QTcpSocket s;
            s.connectToHost(QHostAddress::LocalHost, m_host->port());
            QVERIFY(s.waitForConnected(5000));
            QByteArray request = "PATCH " + location.path().toLatin1() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
                              "Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: 100000\r\n";
            if (withChecksum)
                request += "Upload-Checksum: sha1 " + QCryptographicHash::hash(bytes, QCryptographicHash::Sha1).toBase64() + "\r\n";
            s.write(request + "\r\n" + bytes.left(40000));
            QVERIFY(s.waitForBytesWritten(5000));
            // FIN after the partial body: the host reads it all, then EOF. Half-close and
            // wait for the host to close its side, so the HEAD below cannot come before
            // the host has even seen the PATCH (an offset of 0 is also the starting value).
            QVERIFY(::shutdown(int(s.socketDescriptor()), SHUT_WR) == 0);
            QTRY_COMPARE_WITH_TIMEOUT(s.state(), QAbstractSocket::UnconnectedState, 5000);
            const QByteArray expected = withChecksum ? QByteArray("0") : QByteArray("40000");
            QTRY_COMPARE_WITH_TIMEOUT(head(location).header("Upload-Offset"), expected, 5000);
            QCOMPARE(readFile(dataFile(id)), withChecksum ? QByteArray() : bytes.left(40000));
            QCOMPARE(patch(location, expected.toLongLong(), bytes.mid(expected.toLongLong())).status, 204);
            QCOMPARE(readFile(dataFile(id)), bytes);
        }
    }

    void oversizedHeadIs431()
    {
        const QByteArray big(20000, 'a');
        const QByteArray reply = rawExchange(m_host->port(), "HEAD /tus/abc HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + big + "\r\n\r\n");
        QVERIFY2(reply.startsWith("HTTP/1.1 431"), reply.left(200).constData());
    }

    void chunkedTransferEncodingIsRefused()
    {
        const auto [location, id] = create(10);
        const QByteArray req = "PATCH " + location.path().toLatin1() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
                               "Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
                               "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        const QByteArray reply = rawExchange(m_host->port(), req);
        QVERIFY2(reply.startsWith("HTTP/1.1 411"), reply.left(200).constData());
        QCOMPARE(QFileInfo(dataFile(id)).size(), 0);
    }

    void keptAliveConnectionMovesBetweenPaths()
    {
        // One connection: creation (raw path), PATCH (raw), then a JSON endpoint
        // (QHttpServer), all answered in order.
        const QByteArray req1 = "POST /api/v0/upload-video HTTP/1.1\r\nHost: app.localhost\r\nUpload-Length: 3\r\n\r\n";
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, m_host->port());
        QVERIFY(s.waitForConnected(5000));
        s.write(req1);
        QByteArray got;
        QTRY_VERIFY_WITH_TIMEOUT((got += s.readAll()).contains("\r\n\r\n"), 5000);
        QVERIFY2(got.startsWith("HTTP/1.1 200"), got.constData());
        const QByteArray location = QRegularExpression(QStringLiteral("Location: http://app\\.localhost(/tus/[0-9a-f]{64})"))
                                        .match(QString::fromLatin1(got)).captured(1).toLatin1();
        const QByteArray id = QRegularExpression(QStringLiteral("Stream-Media-Id: ([0-9a-f]{32})"))
                                  .match(QString::fromLatin1(got)).captured(1).toLatin1();
        QVERIFY(!location.isEmpty());
        got.clear();
        s.write("PATCH " + location + " HTTP/1.1\r\nHost: app.localhost\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
                "Content-Type: application/offset+octet-stream\r\nContent-Length: 3\r\n\r\nabc");
        QTRY_VERIFY_WITH_TIMEOUT((got += s.readAll()).contains("\r\n\r\n"), 5000);
        QVERIFY2(got.startsWith("HTTP/1.1 204"), got.constData());
        got.clear();
        s.write("GET /api/v0/get-video-status/" + id + " HTTP/1.1\r\nHost: app.localhost\r\n\r\n");
        QTRY_VERIFY_WITH_TIMEOUT((got += s.readAll()).contains("\"state\""), 5000);
        QVERIFY2(got.startsWith("HTTP/1.1 200"), got.constData());
    }
};

QTEST_GUILESS_MAIN(TestTusServer)
#include "tst_tus_server.moc"
