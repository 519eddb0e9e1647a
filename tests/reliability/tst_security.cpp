// The security matrix, through the real endpoints on loopback (what tests/host
// already covers is not repeated; see docs/RELIABILITY.md for the full matrix):
// - path traversal in image names, video ids and tus tokens (.., encoded
//   slashes, absolute paths, doubled slashes) never reaches a file;
// - a guessed tus URL (random token, the public Stream-Media-Id, a prefix, other
//   case) and a reused one (after completion, after termination) are refused;
// - oversized heads (431) and bodies (413), and a smuggled second Content-Length,
//   are refused without the host process's memory growing with the body;
// - upload-image refuses forged, malformed and confused JWTs (alg none, HS256
//   keyed with the public key, DER signatures, tampered claims, ...) and stores
//   nothing for them, while a high-S signature of a good token is accepted; a
//   file name with a traversal never names a stored file;
// - get-full-tiktok-url refuses redirects to 10.0.0.1, 169.254.169.254, file://,
//   IPv6 loopback, a numeric host and a non-TikTok host.
#include "eventwait.h"
#include "host/endpointhost.h"
#include "identity/jwt.h"
#include "identity/keys.h"
#include "reliabilitytools.h"
#include "testhttp.h"

#include <QBuffer>
#include <QDirIterator>
#include <QHttpServer>
#include <QImage>
#include <QHttpServerResponder>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QtTest>

using namespace reliability;
using namespace deso::host;

namespace {

const QByteArray kSecret = "SECRET-BYTES-THAT-MUST-NEVER-BE-SERVED";

// Sends a head, then `bodyBytes` of body in pieces while reading; stops when the
// server closes. The body is generated, never held whole.
struct StreamOutcome {
    QByteArray response;
    qint64 bodySent = 0;
};

StreamOutcome streamRequest(quint16 port, const QByteArray &head, qint64 bodyBytes, int timeoutMs = 30000)
{
    StreamOutcome out;
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(5000))
        return out;
    socket.write(head);
    const QByteArray piece(256 * 1024, 'z');
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < timeoutMs && socket.state() == QAbstractSocket::ConnectedState) {
        // Like a well-behaved client (RFC 9112 §9.5), stop sending once an answer has come:
        // writing on would race the host's close and could reset the connection before
        // the answer is read.
        if (out.bodySent < bodyBytes && out.response.isEmpty() && socket.bytesToWrite() < 4 * piece.size()) {
            const qint64 n = qMin<qint64>(piece.size(), bodyBytes - out.bodySent);
            socket.write(piece.constData(), n);
            out.bodySent += n;
        }
        socket.waitForBytesWritten(5);
        if (socket.waitForReadyRead(out.bodySent < bodyBytes ? 1 : 50))
            out.response += socket.readAll();
        if ((out.bodySent >= bodyBytes || !out.response.isEmpty()) && out.response.contains("\r\n\r\n")
            && clock.elapsed() > 2000)
            break;
    }
    out.response += socket.readAll();
    return out;
}

QByteArray b64url(const QByteArray &b)
{
    return deso::identity::base64UrlEncode(b);
}

QByteArray pngBytes()
{
    QImage image(24, 16, QImage::Format_RGB32);
    image.fill(QColor(200, 40, 90));
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    return bytes;
}

// A multipart/form-data body as a browser sends it.
QByteArray formBody(const QByteArray &boundary, const QList<QPair<QByteArray, QByteArray>> &fields,
                    const QByteArray &fileName, const QByteArray &file)
{
    QByteArray body;
    for (const auto &f : fields)
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.first + "\"\r\n\r\n" + f.second + "\r\n";
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + fileName
        + "\"\r\nContent-Type: image/png\r\n\r\n" + file + "\r\n--" + boundary + "--\r\n";
    return body;
}

int statusOf(const QByteArray &raw)
{
    return raw.startsWith("HTTP/1.1 ") ? raw.mid(9, 3).toInt() : 0;
}

} // namespace

class TestSecurity : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    EndpointHost m_host;
    QNetworkAccessManager m_nam;
    QHttpServer m_fakeTikTok;
    quint16 m_fakePort = 0;
    QHash<QString, QByteArray> m_redirects; // short id -> Location

    QUrl url(const QString &path) const { return m_host.baseUrl().resolved(QUrl(path)); }

    QByteArray raw(const QByteArray &requestLineAndHeaders)
    {
        return rawExchange(m_host.port(), requestLineAndHeaders + "Host: 127.0.0.1\r\nConnection: close\r\n\r\n");
    }

    // Creates and finishes a tus upload of `bytes`; returns (tus path, media id).
    QPair<QByteArray, QByteArray> upload(const QByteArray &bytes)
    {
        const HttpReply c = httpSend(m_nam, "POST", url(QStringLiteral("/api/v0/upload-video")),
                                     {{"Upload-Length", QByteArray::number(bytes.size())}, {"Tus-Resumable", "1.0.0"}});
        const QByteArray path = QUrl(QString::fromLatin1(c.header("Location"))).path().toLatin1();
        const HttpReply p = httpSend(m_nam, "PATCH", url(QString::fromLatin1(path)),
                                     {{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", "0"},
                                      {"Content-Type", "application/offset+octet-stream"}}, bytes);
        if (c.status != 200 || p.status != 204)
            qWarning() << "upload failed" << c.status << p.status;
        return {path, c.header("Stream-Media-Id")};
    }

    deso::identity::PrivateKey m_key = deso::identity::PrivateKey::fromBytes(QByteArray(32, '\x42')).value();

    HttpReply uploadImage(const QByteArray &jwt, const QByteArray &publicKey, const QByteArray &fileName = "a.png",
                          const QString &query = {})
    {
        const QByteArray boundary = "sec-boundary-7f3a";
        QList<QPair<QByteArray, QByteArray>> fields;
        if (query.isEmpty())
            fields = {{"UserPublicKeyBase58Check", publicKey}, {"JWT", jwt}};
        QUrl target = url(QStringLiteral("/api/v0/upload-image"));
        target.setQuery(query);
        return httpSend(m_nam, "POST", target, {{"Content-Type", "multipart/form-data; boundary=" + boundary}},
                        formBody(boundary, fields, fileName, pngBytes()));
    }

    int storedImages() const
    {
        return int(QDir(m_dir->filePath(QStringLiteral("host/images"))).entryList(QDir::Files).size());
    }

    QString tiktokError(const QByteArray &location)
    {
        const QString id = QStringLiteral("Sec%1").arg(m_redirects.size() + 100000);
        m_redirects.insert(id, location);
        const HttpReply r = httpSend(m_nam, "POST", url(QStringLiteral("/api/v0/get-full-tiktok-url")),
                                     {{"Content-Type", "application/json"}},
                                     QJsonDocument(QJsonObject{{QStringLiteral("TikTokShortVideoID"), id}}).toJson());
        if (r.status != 400)
            return QStringLiteral("status %1").arg(r.status);
        return QJsonDocument::fromJson(r.body).object().value(QStringLiteral("error")).toString();
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        m_dir = scratchDir(64 * MiB);
        QVERIFY(m_dir->isValid());
        m_fakeTikTok.route("/<arg>", QHttpServerRequest::Method::Get,
                           [this](const QString &id, const QHttpServerRequest &, QHttpServerResponder &&responder) {
                               if (!m_redirects.contains(id))
                                   return responder.write(QHttpServerResponder::StatusCode::NotFound);
                               responder.write({{"Location", m_redirects.value(id)}}, QHttpServerResponder::StatusCode::Found);
                           });
        m_fakePort = m_fakeTikTok.listen(QHostAddress::LocalHost, 0);
        QVERIFY(m_fakePort != 0);
        HostConfig config;
        config.dataDir = m_dir->filePath(QStringLiteral("host"));
        config.tiktokShortLinkBase = QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(m_fakePort));
        config.tiktokAllowLoopbackForTests = true;
        const auto s = m_host.start(config);
        QVERIFY2(s.ok(), qPrintable(s.ok() ? QString() : s.error().toString()));
        // Files a traversal would love to reach: one in the data dir, one beside it.
        QFile secret(m_dir->filePath(QStringLiteral("host/secret.txt")));
        QVERIFY(secret.open(QIODevice::WriteOnly));
        secret.write(kSecret);
        secret.close();
        QFile outside(m_dir->filePath(QStringLiteral("outside.txt")));
        QVERIFY(outside.open(QIODevice::WriteOnly));
        outside.write(kSecret);
    }

    void traversalInNamesIdsAndTokens_data()
    {
        QTest::addColumn<QByteArray>("target");
        const QByteArray abs = QDir(m_dir->path()).absolutePath().toLatin1();
        const QList<QByteArray> prefixes{"/images/", "/videos/", "/tus/", "/api/v0/get-video-status/",
                                         "/api/v0/get-video-dimensions/"};
        const QList<QByteArray> tails{
            "../secret.txt", "../../outside.txt", "..%2Fsecret.txt", "..%2F..%2Foutside.txt", "%2e%2e%2fsecret.txt",
            "%2E%2E/%2E%2E/outside.txt", "..%5csecret.txt", "....//secret.txt", "%252e%252e%252fsecret.txt",
            "/etc/passwd", "%2Fetc%2Fpasswd", abs + "/outside.txt", "%00../secret.txt", "..;/secret.txt",
            "uploads/../secret.txt", "..", "."};
        for (const QByteArray &p : prefixes)
            for (const QByteArray &t : tails)
                QTest::newRow((p + t).constData()) << p + t;
        // Doubled slashes and a traversal before the prefix.
        QTest::newRow("//images") << QByteArray("//images/../host/secret.txt");
        QTest::newRow("/x/../images") << QByteArray("/x/../images/secret.txt");
        QTest::newRow("/../outside") << QByteArray("/../outside.txt");
        QTest::newRow("absolute-form") << QByteArray("file://" + abs + "/outside.txt");
    }

    void traversalInNamesIdsAndTokens()
    {
        QFETCH(QByteArray, target);
        for (const QByteArray &method : {QByteArray("GET"), QByteArray("HEAD"), QByteArray("PATCH"), QByteArray("DELETE")}) {
            const QByteArray reply = raw(method + ' ' + target + " HTTP/1.1\r\nTus-Resumable: 1.0.0\r\n");
            const int status = statusOf(reply);
            QVERIFY2(status >= 400 && status < 500, (method + ' ' + target + " -> " + reply.left(200)).constData());
            QVERIFY2(!reply.contains(kSecret), (method + ' ' + target).constData());
        }
        QVERIFY(QFile::exists(m_dir->filePath(QStringLiteral("host/secret.txt"))));
        QVERIFY(QFile::exists(m_dir->filePath(QStringLiteral("outside.txt"))));
    }

    void guessedAndReusedTusUrlsAreRefused()
    {
        const QByteArray bytes(1000, 'q');
        const auto [path, id] = upload(bytes);
        QVERIFY(path.startsWith("/tus/"));
        const QByteArray token = path.mid(5);
        QVERIFY2(token.size() >= 32, token.constData());
        QVERIFY(!token.contains(id));
        const QList<QPair<QByteArray, QByteArray>> tus{{"Tus-Resumable", "1.0.0"}};

        // Guesses: a random token, the public media id, a prefix, other case, padding.
        QByteArray random(32, Qt::Uninitialized);
        QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(random.data()), 8);
        for (const QByteArray &guess : {random.toHex(), id, token.left(token.size() - 1), token.toUpper(),
                                        token + "0", token + "/", token + "%00", QByteArray(token.size(), '0')}) {
            const HttpReply r = httpSend(m_nam, "HEAD", url(QStringLiteral("/tus/") + QString::fromLatin1(guess)), tus);
            QVERIFY2(r.status == 404, (guess + " -> " + QByteArray::number(r.status)).constData());
        }
        // Reused after completion: no more bytes.
        const HttpReply again = httpSend(m_nam, "PATCH", url(QString::fromLatin1(path)),
                                         {{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", "1000"},
                                          {"Content-Type", "application/offset+octet-stream"}}, "x");
        QCOMPARE(again.status, 403);
        // Reused after termination: gone.
        QCOMPARE(httpSend(m_nam, "DELETE", url(QString::fromLatin1(path)), tus).status, 204);
        QCOMPARE(httpSend(m_nam, "HEAD", url(QString::fromLatin1(path)), tus).status, 404);
        const HttpReply late = httpSend(m_nam, "PATCH", url(QString::fromLatin1(path)),
                                        {{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", "0"},
                                         {"Content-Type", "application/offset+octet-stream"}}, "x");
        QCOMPARE(late.status, 404);
        // A new upload never gets an old token back.
        const auto [path2, id2] = upload(bytes);
        QVERIFY(path2 != path && id2 != id);
    }

    void forgedAndMalformedJwtsAreRefusedByUploadImage_data()
    {
        using namespace deso::identity;
        QTest::addColumn<QByteArray>("jwt");
        QTest::addColumn<QByteArray>("publicKey");
        QTest::addColumn<QString>("reason");
        const QByteArray pk = m_key.publicKey().toBase58Check(Network::Mainnet).toLatin1();
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const QByteArray es256 = b64url(R"({"alg":"ES256","typ":"JWT"})");
        const QByteArray claims = b64url(QStringLiteral(R"({"iat":%1,"exp":%2})").arg(now).arg(now + 600).toLatin1());
        auto sign = [&](const QByteArray &input) {
            return m_key.sign(QCryptographicHash::hash(input, QCryptographicHash::Sha256));
        };
        const QByteArray good = es256 + '.' + claims;
        const QByteArray goodSig = sign(good);

        QTest::newRow("alg none") << QByteArray(b64url(R"({"alg":"none","typ":"JWT"})") + '.' + claims + '.') << pk
                                  << QStringLiteral("is not accepted");
        const QByteArray hsInput = b64url(R"({"alg":"HS256","typ":"JWT"})") + '.' + claims;
        QTest::newRow("HS256 keyed with the public key")
            << QByteArray(hsInput + '.' + b64url(QMessageAuthenticationCode::hash(hsInput, pk, QCryptographicHash::Sha256))) << pk
            << QStringLiteral("is not accepted");
        QTest::newRow("DER signature") << QByteArray(good + '.' + b64url(signatureToDer(goodSig))) << pk << QStringLiteral("DER");
        const QByteArray longer = b64url(QStringLiteral(R"({"iat":%1,"exp":%2})").arg(now).arg(now + 99999999).toLatin1());
        QTest::newRow("claims changed after signing") << QByteArray(es256 + '.' + longer + '.' + b64url(goodSig)) << pk
                                                      << QStringLiteral("does not match");
        QTest::newRow("63-byte signature") << QByteArray(good + '.' + b64url(goodSig.left(63))) << pk << QStringLiteral("64 raw bytes");
        QTest::newRow("signature of another message") << QByteArray(good + '.' + b64url(sign("x"))) << pk << QStringLiteral("does not match");
        const QByteArray noExp = es256 + '.' + b64url(QStringLiteral(R"({"iat":%1})").arg(now).toLatin1());
        QTest::newRow("no exp") << QByteArray(noExp + '.' + b64url(sign(noExp))) << pk << QStringLiteral("exp");
        const QByteArray strExp = es256 + '.' + b64url(QStringLiteral(R"({"exp":"%1"})").arg(now + 600).toLatin1());
        QTest::newRow("exp as text") << QByteArray(strExp + '.' + b64url(sign(strExp))) << pk << QStringLiteral("exp");
        const QByteArray expired = es256 + '.' + b64url(QStringLiteral(R"({"exp":%1})").arg(now - 61 - 5).toLatin1());
        QTest::newRow("expired past the skew") << QByteArray(expired + '.' + b64url(sign(expired))) << pk << QStringLiteral("expired");
        QTest::newRow("two segments") << good << pk << QStringLiteral("segments");
        QTest::newRow("four segments") << QByteArray(good + '.' + b64url(goodSig) + ".x") << pk << QStringLiteral("segments");
        QTest::newRow("padded base64") << QByteArray(good + '.' + b64url(goodSig) + "==") << pk << QStringLiteral("base64url");
        QTest::newRow("standard base64") << QByteArray(good + '.' + goodSig.toBase64()) << pk << QStringLiteral("base64url");
        QTest::newRow("oversized token") << QByteArray(good + '.' + QByteArray(9000, 'A')) << pk << QStringLiteral("at most");
        QTest::newRow("private key as public key") << QByteArray(good + '.' + b64url(goodSig))
                                                   << m_key.toBase58Check(Network::Mainnet).toLatin1() << QStringLiteral("public key");
        QTest::newRow("garbage public key") << QByteArray(good + '.' + b64url(goodSig)) << QByteArray("BC1YL../../etc/passwd")
                                            << QStringLiteral("public key");
        const PrivateKey stranger = PrivateKey::fromBytes(QByteArray(32, '\x43')).value();
        JwtSignOptions asDerived;
        asDerived.derivedPublicKeyBase58Check = stranger.publicKey().toBase58Check(Network::Mainnet);
        QTest::newRow("unauthorized derived key") << signJwt(stranger, asDerived).toLatin1() << pk << QStringLiteral("derived key");
        asDerived.derivedPublicKeyBase58Check = QString::fromLatin1(pk);
        QTest::newRow("derived claim naming the owner") << signJwt(stranger, asDerived).toLatin1() << pk << QStringLiteral("derived key");
        QTest::newRow("token of another key") << signJwt(stranger).toLatin1() << pk << QStringLiteral("does not match");
    }

    void forgedAndMalformedJwtsAreRefusedByUploadImage()
    {
        QFETCH(QByteArray, jwt);
        QFETCH(QByteArray, publicKey);
        QFETCH(QString, reason);
        const int before = storedImages();
        for (bool inQuery : {false, true}) {
            const QString query = inQuery ? QStringLiteral("JWT=%1&UserPublicKeyBase58Check=%2")
                                                .arg(QString::fromLatin1(QUrl::toPercentEncoding(QString::fromLatin1(jwt))),
                                                     QString::fromLatin1(QUrl::toPercentEncoding(QString::fromLatin1(publicKey))))
                                          : QString();
            const HttpReply r = uploadImage(jwt, publicKey, "a.png", query);
            const QString error = QJsonDocument::fromJson(r.body).object().value(QStringLiteral("error")).toString();
            QVERIFY2(r.status == 400, qPrintable(QStringLiteral("%1: %2").arg(r.status).arg(error)));
            QVERIFY2(error.startsWith(QStringLiteral("UploadImage: Invalid token: ")) && error.contains(reason), qPrintable(error));
        }
        QCOMPARE(storedImages(), before);
    }

    void goodTokensAreAcceptedInBothSForms()
    {
        using namespace deso::identity;
        const QByteArray pk = m_key.publicKey().toBase58Check(Network::Mainnet).toLatin1();
        const QList<QByteArray> parts = signJwt(m_key).toLatin1().split('.');
        const QByteArray highS = parts[0] + '.' + parts[1] + '.'
            + b64url(negateSignatureS(*base64UrlDecode(parts[2])));
        for (const QByteArray &jwt : {parts.join('.'), highS}) {
            const HttpReply r = uploadImage(jwt, pk);
            QVERIFY2(r.status == 200, r.body.constData());
        }
    }

    void fileNamesNeverNameStoredFiles()
    {
        using namespace deso::identity;
        const QByteArray pk = m_key.publicKey().toBase58Check(Network::Mainnet).toLatin1();
        for (const QByteArray &name : {QByteArray("../../../evil-outside.png"), QByteArray("..%2F..%2Fevil-encoded.png"),
                                       QByteArray("/tmp/evil-absolute.png"), QByteArray("..\\..\\evil-backslash.png")}) {
            const HttpReply r = uploadImage(signJwt(m_key).toLatin1(), pk, name);
            QCOMPARE(r.status, 200);
            const QString imageUrl = QJsonDocument::fromJson(r.body).object().value(QStringLiteral("ImageURL")).toString();
            static const QRegularExpression contentName(QStringLiteral("/images/[0-9a-f]{64}\\.webp$"));
            QVERIFY2(contentName.match(imageUrl).hasMatch(), qPrintable(imageUrl));
        }
        QDirIterator it(m_dir->path(), QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext())
            QVERIFY2(!it.next().contains(QLatin1String("evil")), qPrintable(it.filePath()));
        QVERIFY(!QFile::exists(QStringLiteral("/tmp/evil-absolute.png")));
    }

    void oversizedHeadsAre431OnEveryPath_data()
    {
        QTest::addColumn<QByteArray>("requestLine");
        QTest::newRow("json endpoint") << QByteArray("GET /api/v0/get-video-status/0123456789abcdef0123456789abcdef HTTP/1.1\r\n");
        QTest::newRow("upload-image") << QByteArray("POST /api/v0/upload-image HTTP/1.1\r\n");
        QTest::newRow("upload-video") << QByteArray("POST /api/v0/upload-video HTTP/1.1\r\n");
        QTest::newRow("unknown path") << QByteArray("GET /nowhere HTTP/1.1\r\n");
        QTest::newRow("long target") << QByteArray("GET /api/v0/get-video-status/" + QByteArray(20000, 'a') + " HTTP/1.1\r\n");
    }

    void oversizedHeadsAre431OnEveryPath()
    {
        QFETCH(QByteArray, requestLine);
        // One huge header, and many small ones that add up.
        QByteArray many;
        for (int i = 0; i < 600; ++i)
            many += "X-Filler-" + QByteArray::number(i) + ": " + QByteArray(24, 'f') + "\r\n";
        for (const QByteArray &headers : {QByteArray("X-Big: " + QByteArray(20000, 'b') + "\r\n"), many}) {
            const QByteArray reply = raw(requestLine + headers);
            QVERIFY2(statusOf(reply) == 431, reply.left(200).constData());
        }
    }

    void oversizedAndSmuggledBodiesDoNotGrowTheHost_data()
    {
        QTest::addColumn<QByteArray>("head");
        QTest::addColumn<qint64>("bodyBytes");
        QTest::addColumn<QList<int>>("statuses");
        const qint64 big = 64 * MiB;
        const QByteArray n = QByteArray::number(big);
        QTest::newRow("tiktok 64 MiB") << QByteArray("POST /api/v0/get-full-tiktok-url HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + n + "\r\n\r\n")
                                       << big << QList<int>{413};
        QTest::newRow("upload-image 64 MiB") << QByteArray("POST /api/v0/upload-image HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: " + n + "\r\n\r\n")
                                             << big << QList<int>{413};
        QTest::newRow("status 64 MiB body") << QByteArray("GET /api/v0/get-video-status/0123456789abcdef0123456789abcdef HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + n + "\r\n\r\n")
                                            << big << QList<int>{413};
        QTest::newRow("chunked") << QByteArray("POST /api/v0/get-full-tiktok-url HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n4000000\r\n")
                                 << big << QList<int>{411, 400, 413};
        QTest::newRow("second content-length") << QByteArray("POST /api/v0/get-full-tiktok-url HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: " + n + "\r\n\r\n")
                                               << big << QList<int>{400, 413};
        QTest::newRow("listed content-length") << QByteArray("POST /api/v0/get-full-tiktok-url HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2, " + n + "\r\n\r\n")
                                               << big << QList<int>{400, 413};
        QTest::newRow("signed content-length") << QByteArray("POST /api/v0/get-full-tiktok-url HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: +" + n + "\r\n\r\n")
                                               << big << QList<int>{400, 413};
        QTest::newRow("tus creation > 250 MiB") << QByteArray("POST /api/v0/upload-video HTTP/1.1\r\nHost: 127.0.0.1\r\nUpload-Length: 262144001\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: " + n + "\r\n\r\n")
                                                << big << QList<int>{400, 413};
    }

    void oversizedAndSmuggledBodiesDoNotGrowTheHost()
    {
        QFETCH(QByteArray, head);
        QFETCH(qint64, bodyBytes);
        QFETCH(QList<int>, statuses);
        // A separate host process, so its memory alone is measured.
        ServeProcess host(m_dir->filePath(QStringLiteral("serve-%1").arg(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('-'))));
        QString why;
        QVERIFY2(host.start(0, &why), qPrintable(why));
        const qint64 before = host.rssBytes();
        const StreamOutcome out = streamRequest(quint16(host.url().port()), head, bodyBytes);
        const qint64 peakGrowth = host.peakRssBytes() - before;
        const int status = statusOf(out.response);
        QVERIFY2(statuses.contains(status), out.response.left(300).constData());
        QVERIFY2(host.running(), "the host died");
        // Whatever was sent, the host held at most a few MiB of it.
        QVERIFY2(peakGrowth < 16 * MiB, qPrintable(QStringLiteral("host RSS grew by %1 MiB (sent %2 MiB)")
                                                      .arg(peakGrowth / MiB).arg(out.bodySent / MiB)));
        qInfo().noquote() << QStringLiteral("%1: %2, sent %3 MiB of body, host peak RSS growth %4 MiB")
                                 .arg(QString::fromLatin1(QTest::currentDataTag())).arg(status)
                                 .arg(double(out.bodySent) / MiB, 0, 'f', 1).arg(double(peakGrowth) / MiB, 0, 'f', 1);
    }

    void aSecondRequestOnAJsonConnectionIsNeverBuffered()
    {
        // The front door keeps JSON connections alive; a large body sent next on
        // one is refused from its head like any other, never buffered.
        ServeProcess host(m_dir->filePath(QStringLiteral("serve-kept-alive")));
        QString why;
        QVERIFY2(host.start(0, &why), qPrintable(why));
        const qint64 before = host.rssBytes();
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, quint16(host.url().port()));
        QVERIFY(socket.waitForConnected(5000));
        socket.write("GET /api/v0/get-video-status/0123456789abcdef0123456789abcdef HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        QByteArray first;
        QVERIFY(waitUntil([&] { first += socket.readAll(); return first.contains("\r\n\r\n") && first.endsWith('}'); }, 10000));
        QVERIFY2(first.startsWith("HTTP/1.1 404"), first.constData());
        QVERIFY2(first.contains("Connection: keep-alive"), first.constData());
        QCOMPARE(socket.state(), QAbstractSocket::ConnectedState);
        // 100 MiB announced, and sent as fast as the host takes it.
        socket.write("POST /api/v0/get-full-tiktok-url HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: 104857600\r\n\r\n");
        const QByteArray piece(1024 * 1024, '{');
        QByteArray second;
        for (int i = 0; i < 100 && socket.state() == QAbstractSocket::ConnectedState && !second.contains("\r\n\r\n"); ++i) {
            socket.write(piece);
            socket.waitForBytesWritten(200);
            second += socket.readAll();
        }
        QVERIFY(waitUntil([&] { second += socket.readAll(); return second.contains("\r\n\r\n"); }, 10000));
        QVERIFY2(second.startsWith("HTTP/1.1 413"), second.left(200).constData());
        const qint64 growth = host.peakRssBytes() - before;
        QVERIFY2(growth < 16 * MiB, qPrintable(QString::number(growth)));
    }

    void tiktokRedirectsToForbiddenPlacesAreRefused_data()
    {
        QTest::addColumn<QByteArray>("location");
        QTest::addColumn<QString>("reason");
        const QString notHttps = QStringLiteral("refusing to follow a redirect that is not https");
        const QString notTikTok = QStringLiteral("refusing to follow a redirect to a host that is not TikTok's");
        QTest::newRow("127.0.0.1") << QByteArray("https://127.0.0.1/@a_b/video/123") << notTikTok;
        QTest::newRow("10.0.0.1") << QByteArray("https://10.0.0.1/@a_b/video/123") << notTikTok;
        QTest::newRow("169.254.169.254") << QByteArray("https://169.254.169.254/latest/meta-data/") << notTikTok;
        QTest::newRow("metadata over http") << QByteArray("http://169.254.169.254/latest/meta-data/") << notHttps;
        QTest::newRow("file://") << QByteArray("file:///etc/passwd") << notHttps;
        QTest::newRow("non-TikTok host") << QByteArray("https://evil.example/@a_b/video/123") << notTikTok;
        QTest::newRow("[::1]") << QByteArray("https://[::1]/@a_b/video/123") << notTikTok;
        QTest::newRow("[::ffff:127.0.0.1]") << QByteArray("https://[::ffff:127.0.0.1]/v/123") << notTikTok;
        QTest::newRow("decimal 127.0.0.1") << QByteArray("https://2130706433/v/123") << notTikTok;
        QTest::newRow("userinfo trick") << QByteArray("https://www.tiktok.com@10.0.0.1/v/123") << notTikTok;
        QTest::newRow("ftp") << QByteArray("ftp://www.tiktok.com/v/123") << notHttps;
    }

    void tiktokRedirectsToForbiddenPlacesAreRefused()
    {
        QFETCH(QByteArray, location);
        QFETCH(QString, reason);
        const QString error = tiktokError(location);
        QVERIFY2(error.contains(reason), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestSecurity)
#include "tst_security.moc"
