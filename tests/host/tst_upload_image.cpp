// POST /api/v0/upload-image and GET /images/<name> on the real host: the node's
// checks in the node's order with its sentences, JWTs from core/identity,
// images through core/image, content-addressed storage.
#include "host/endpointhost.h"
#include "identity/jwt.h"
#include "identity/keys.h"
#include "testhttp.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace deso;

class TestUploadImage : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<host::EndpointHost> m_host;
    QNetworkAccessManager m_nam;
    identity::PrivateKey m_key = identity::PrivateKey::generate();
    QString m_publicKey;

    using Field = FormField;

    HttpReply post(const QList<Field> &fields)
    {
        return httpPostForm(m_nam, m_host->baseUrl().resolved(QUrl(QStringLiteral("/api/v0/upload-image"))), fields);
    }

    QList<Field> form(const QByteArray &file, const QByteArray &type, const QString &jwt = {})
    {
        return {{"UserPublicKeyBase58Check", m_publicKey.toLatin1(), {}, {}},
                {"JWT", (jwt.isEmpty() ? identity::signJwt(m_key) : jwt).toLatin1(), {}, {}},
                {"file", file, "upload.bin", type}};
    }

    static QString errorOf(const HttpReply &r)
    {
        return QJsonDocument::fromJson(r.body).object().value(QStringLiteral("error")).toString();
    }

    static QByteArray png(int w, int h)
    {
        QImage image(w, h, QImage::Format_RGB32);
        image.fill(QColor(30, 120, 200));
        QByteArray bytes;
        QBuffer buffer(&bytes);
        buffer.open(QIODevice::WriteOnly);
        image.save(&buffer, "PNG");
        return bytes;
    }

    void startHost(const QString &authorizations = {}, const QUrl &publicBaseUrl = {})
    {
        host::HostConfig c;
        c.dataDir = m_dir.path();
        c.derivedKeyAuthorizationsPath = authorizations;
        c.publicBaseUrl = publicBaseUrl;
        m_host = std::make_unique<host::EndpointHost>();
        const auto s = m_host->start(c);
        QVERIFY2(s.ok(), qPrintable(s.ok() ? QString() : s.error().toString()));
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_publicKey = m_key.publicKey().toBase58Check(identity::Network::Mainnet);
        startHost();
    }

    void pngBecomesContentAddressedWebp()
    {
        const HttpReply r = post(form(png(640, 480), "image/png"));
        QCOMPARE(r.status, 200);
        const QString url = QJsonDocument::fromJson(r.body).object().value(QStringLiteral("ImageURL")).toString();
        QVERIFY2(url.startsWith(m_host->baseUrl().toString() + QStringLiteral("/images/")), qPrintable(url));
        QVERIFY(url.endsWith(QLatin1String(".webp")));

        const HttpReply image = httpSend(m_nam, "GET", QUrl(url));
        QCOMPARE(image.status, 200);
        QCOMPARE(image.header("Content-Type"), QByteArray("image/webp"));
        QVERIFY(image.header("Cache-Control").contains("max-age"));
        QVERIFY(image.body.startsWith("RIFF"));
        const QString name = QUrl(url).fileName();
        QCOMPARE(name, QString::fromLatin1(QCryptographicHash::hash(image.body, QCryptographicHash::Sha256).toHex()) + QStringLiteral(".webp"));
        QImage decoded;
        QVERIFY(decoded.loadFromData(image.body, "WEBP"));
        QCOMPARE(decoded.size(), QSize(640, 480));

        // The same upload twice gives the same URL.
        const HttpReply again = post(form(png(640, 480), "image/png"));
        QCOMPARE(QJsonDocument::fromJson(again.body).object().value(QStringLiteral("ImageURL")).toString(), url);
    }

    void gifIsStoredUnchanged()
    {
        const QByteArray gif = readFile(QStringLiteral(DESO_SOURCE_DIR "/tests/image/data/animated.gif"));
        QVERIFY(!gif.isEmpty());
        const HttpReply r = post(form(gif, "image/gif"));
        QCOMPARE(r.status, 200);
        const QString url = QJsonDocument::fromJson(r.body).object().value(QStringLiteral("ImageURL")).toString();
        QCOMPARE(QUrl(url).fileName(),
                 QString::fromLatin1(QCryptographicHash::hash(gif.toBase64(), QCryptographicHash::Sha256).toHex()) + QStringLiteral(".gif"));
        const HttpReply image = httpSend(m_nam, "GET", QUrl(url));
        QCOMPARE(image.header("Content-Type"), QByteArray("image/gif"));
        QCOMPARE(image.body, gif);
    }

    void nodeChecksInNodeOrder()
    {
        const QByteArray image = png(64, 64);
        // Everything missing: the JWT is checked before the public key.
        QCOMPARE(errorOf(post({{"file", image, "a.png", "image/png"}})), QStringLiteral("No JWT provided"));
        QCOMPARE(errorOf(post({{"JWT", identity::signJwt(m_key).toLatin1(), {}, {}}, {"file", image, "a.png", "image/png"}})),
                 QStringLiteral("No public key provided"));

        // A token by another key, and an expired one.
        const identity::PrivateKey other = identity::PrivateKey::generate();
        HttpReply r = post(form(image, "image/png", identity::signJwt(other)));
        QCOMPARE(r.status, 400);
        QVERIFY2(errorOf(r).startsWith(QStringLiteral("UploadImage: Invalid token: ")), qPrintable(errorOf(r)));
        identity::JwtSignOptions old;
        old.issuedAt = QDateTime::currentSecsSinceEpoch() - 7200;
        r = post(form(image, "image/png", identity::signJwt(m_key, old)));
        QVERIFY2(errorOf(r).startsWith(QStringLiteral("UploadImage: Invalid token: ")), qPrintable(errorOf(r)));

        // The token is checked before the file.
        r = post({{"UserPublicKeyBase58Check", m_publicKey.toLatin1(), {}, {}}, {"JWT", "x.y.z", {}, {}}});
        QVERIFY2(errorOf(r).startsWith(QStringLiteral("UploadImage: Invalid token: ")), qPrintable(errorOf(r)));
        r = post({{"UserPublicKeyBase58Check", m_publicKey.toLatin1(), {}, {}}, {"JWT", identity::signJwt(m_key).toLatin1(), {}, {}}});
        QCOMPARE(errorOf(r), QStringLiteral("UploadImage: Problem getting file from form data: http: no such file"));

        r = post(form(QByteArray(10000001, 'a'), "image/png"));
        QCOMPARE(r.status, 400);
        QCOMPARE(errorOf(r), QStringLiteral("File too large."));

        r = post(form(image, "text/plain"));
        QCOMPARE(errorOf(r), QStringLiteral("UploadImage: problem extracting file extension: Mime type not supported: text/plain"));

        // Better than the node: the bytes must be what the part says, and decode.
        r = post(form(image, "image/jpeg"));
        QCOMPARE(r.status, 400);
        QVERIFY2(errorOf(r).startsWith(QStringLiteral("UploadImage: problem uploading image: ")), qPrintable(errorOf(r)));
        r = post(form(QByteArray("\x89PNG\r\n\x1a\n", 8) + QByteArray(100, 'z'), "image/png"));
        QCOMPARE(r.status, 400);
        QVERIFY(QDir(m_dir.filePath(QStringLiteral("images"))).entryList(QDir::Files).size() <= 2); // only the good uploads
    }

    void notAFormIsAParseError()
    {
        const HttpReply r = httpSend(m_nam, "POST", m_host->baseUrl().resolved(QUrl(QStringLiteral("/api/v0/upload-image"))),
                                     {{"Content-Type", "application/json"}}, "{}");
        QCOMPARE(r.status, 400);
        QCOMPARE(errorOf(r), QStringLiteral("UploadImage: Problem parsing multipart form data: request Content-Type isn't multipart/form-data"));
    }

    void derivedKeysNeedALocalAuthorization()
    {
        const identity::PrivateKey derived = identity::PrivateKey::generate();
        identity::JwtSignOptions o;
        o.derivedPublicKeyBase58Check = derived.publicKey().toBase58Check(identity::Network::Mainnet);
        const QString token = identity::signJwt(derived, o);
        HttpReply r = post(form(png(32, 32), "image/png", token));
        QCOMPARE(r.status, 400);
        QVERIFY2(errorOf(r).startsWith(QStringLiteral("UploadImage: Invalid token: ")), qPrintable(errorOf(r)));

        const QString path = m_dir.filePath(QStringLiteral("derived.json"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QJsonDocument(QJsonObject{{m_publicKey, QJsonArray{o.derivedPublicKeyBase58Check}}}).toJson());
        f.close();
        startHost(path);
        r = post(form(png(32, 32), "image/png", token));
        QCOMPARE(r.status, 200);
    }

    // --public-base-url: ImageURLs point at a CDN or the bucket, the image stays served here too.
    void imageUrlStartsWithThePublicBaseUrl()
    {
        startHost({}, QUrl(QStringLiteral("https://images.example.org/media/")));
        const HttpReply r = post(form(png(48, 48), "image/png"));
        QCOMPARE(r.status, 200);
        const QUrl url(QJsonDocument::fromJson(r.body).object().value(QStringLiteral("ImageURL")).toString());
        QCOMPARE(url.host(), QStringLiteral("images.example.org"));
        QVERIFY2(url.path().startsWith(QLatin1String("/media/images/")), qPrintable(url.toString()));
        QCOMPARE(httpSend(m_nam, "GET", m_host->baseUrl().resolved(QUrl(QStringLiteral("/images/") + url.fileName()))).status, 200);
        startHost();
    }
};

QTEST_GUILESS_MAIN(TestUploadImage)
#include "tst_upload_image.moc"
