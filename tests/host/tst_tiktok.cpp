// TikTok link rules and get-full-tiktok-url through a local fake redirector
// (there is no internet here), including the redirects that must be refused.
#include "host/endpointhost.h"
#include "testhttp.h"
#include "tiktok/tiktoklinks.h"
#include "tiktok/tiktokresolver.h"

#include <QHttpServer>
#include <QHttpServerResponder>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QtTest>

using namespace deso;

class TestTikTok : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QHttpServer m_fake;
    quint16 m_fakePort = 0;
    QHash<QString, QPair<int, QByteArray>> m_redirects; // short id -> status, Location
    std::unique_ptr<host::EndpointHost> m_host;
    QNetworkAccessManager m_nam;

    void startHost(const QUrl &base, bool allowLoopback)
    {
        host::HostConfig c;
        c.dataDir = m_dir.path();
        c.tiktokShortLinkBase = base;
        c.tiktokAllowLoopbackForTests = allowLoopback;
        m_host = std::make_unique<host::EndpointHost>();
        QVERIFY(m_host->start(c).ok());
    }

    HttpReply resolve(const QByteArray &body)
    {
        return httpSend(m_nam, "POST", m_host->baseUrl().resolved(QUrl(QStringLiteral("/api/v0/get-full-tiktok-url"))),
                        {{"Content-Type", "application/json"}}, body);
    }

    static QString errorOf(const HttpReply &r)
    {
        return QJsonDocument::fromJson(r.body).object().value(QStringLiteral("error")).toString();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_fake.route("/<arg>", QHttpServerRequest::Method::Get,
                     [this](const QString &id, const QHttpServerRequest &, QHttpServerResponder &&responder) {
                         const auto it = m_redirects.constFind(id);
                         if (it == m_redirects.constEnd())
                             return responder.write(QHttpServerResponder::StatusCode::NotFound);
                         responder.write({{"Location", it->second}}, QHttpServerResponder::StatusCode(it->first));
                     });
        m_fakePort = m_fake.listen(QHostAddress::LocalHost, 0);
        QVERIFY(m_fakePort != 0);
        startHost(QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(m_fakePort)), true);
    }

    void linkRules()
    {
        QCOMPARE(tiktok::shortIdFromText(QStringLiteral("https://vm.tiktok.com/TTPd2Eobq3/")), QStringLiteral("TTPd2Eobq3"));
        QCOMPARE(tiktok::shortIdFromText(QStringLiteral(" vm.tiktok.com/TTPd2Eobq3 ")), QStringLiteral("TTPd2Eobq3"));
        QCOMPARE(tiktok::shortIdFromText(QStringLiteral("TTPd2Eobq3")), QStringLiteral("TTPd2Eobq3"));
        QVERIFY(!tiktok::shortIdFromText(QStringLiteral("https://evil.example/TTPd2Eobq3/")));
        QVERIFY(!tiktok::shortIdFromText(QStringLiteral("ab")));
        QVERIFY(tiktok::matchesShortUrl(tiktok::shortUrlForId(QStringLiteral("TTPd2Eobq3"))));
        QVERIFY(!tiktok::matchesShortUrl(tiktok::shortUrlForId(QStringLiteral("abc"))));
        const QString full = QStringLiteral("https://www.tiktok.com/@scout2015/video/6718335390845095173?lang=en");
        QVERIFY(tiktok::matchesFullUrl(full));
        QCOMPARE(tiktok::videoIdFromFullUrl(full), QStringLiteral("6718335390845095173"));
        QCOMPARE(tiktok::videoIdFromFullUrl(QStringLiteral("https://www.tiktok.com/embed/v2/123456")), QStringLiteral("123456"));
        QVERIFY(!tiktok::videoIdFromFullUrl(QStringLiteral("https://www.tiktok.com/@scout2015")));
        QCOMPARE(tiktok::embedUrl(QStringLiteral("6718335390845095173")),
                 QStringLiteral("https://www.tiktok.com/embed/v2/6718335390845095173"));
        QVERIFY(tiktok::isTikTokHost(QStringLiteral("www.TikTok.com")));
        QVERIFY(!tiktok::isTikTokHost(QStringLiteral("tiktok.com.evil.example")));
        QVERIFY(!tiktok::isTikTokHost(QStringLiteral("eviltiktok.com")));
    }

    void publicAddresses()
    {
        for (const char *a : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.1.1", "100.64.0.1", "0.0.0.0",
                              "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "224.0.0.1"})
            QVERIFY2(!tiktok::isPublicAddress(QHostAddress(QString::fromLatin1(a))), a);
        for (const char *a : {"8.8.8.8", "151.101.1.1", "2606:4700::1111"})
            QVERIFY2(tiktok::isPublicAddress(QHostAddress(QString::fromLatin1(a))), a);
    }

    void resolvesThroughTheRedirector()
    {
        const QByteArray full = "https://www.tiktok.com/@scout2015/video/6718335390845095173?lang=en";
        m_redirects.insert(QStringLiteral("TTPd2Eobq3"), {301, full});
        const HttpReply r = resolve(R"({"TikTokShortVideoID":"TTPd2Eobq3"})");
        QCOMPARE(r.status, 200);
        QCOMPARE(QJsonDocument::fromJson(r.body).object().value(QStringLiteral("FullTikTokURL")).toString(), QString::fromLatin1(full));
        QCOMPARE(r.header("Access-Control-Allow-Origin"), QByteArray("*"));
    }

    void refusedRedirects_data()
    {
        QTest::addColumn<QByteArray>("location");
        QTest::addColumn<QString>("error");
        const QByteArray loop = "http://127.0.0.1:" + QByteArray::number(m_fakePort) + "/other1";
        QTest::newRow("loopback over http") << loop << QStringLiteral("GetFullTikTokURL: refusing to follow a redirect that is not https: ") + QString::fromLatin1(loop);
        QTest::newRow("loopback over https") << QByteArray("https://127.0.0.1/@someone/video/123")
                                             << QStringLiteral("GetFullTikTokURL: refusing to follow a redirect to a host that is not TikTok's: 127.0.0.1");
        QTest::newRow("lookalike host") << QByteArray("https://www.tiktok.com.evil.example/@someone/video/123")
                                        << QStringLiteral("GetFullTikTokURL: refusing to follow a redirect to a host that is not TikTok's: www.tiktok.com.evil.example");
        QTest::newRow("plain http tiktok") << QByteArray("http://www.tiktok.com/@someone/video/123")
                                           << QStringLiteral("GetFullTikTokURL: refusing to follow a redirect that is not https: http://www.tiktok.com/@someone/video/123");
    }

    void refusedRedirects()
    {
        QFETCH(QByteArray, location);
        QFETCH(QString, error);
        m_redirects.insert(QStringLiteral("Refused01"), {302, location});
        const HttpReply r = resolve(R"({"TikTokShortVideoID":"Refused01"})");
        QCOMPARE(r.status, 400);
        QCOMPARE(errorOf(r), error);
    }

    void nodeValidationErrors()
    {
        HttpReply r = resolve(R"({"TikTokShortVideoID":"ab"})");
        QCOMPARE(r.status, 400);
        QCOMPARE(errorOf(r), QStringLiteral("GetFullTikTokURL: TikTokShortVideoURL does not conform to regex: https://vm.tiktok.com/ab"));
        r = resolve("{not json");
        QCOMPARE(r.status, 400);
        QVERIFY2(errorOf(r).startsWith(QStringLiteral("GetFullTikTokURL: Problem parsing request body: ")), qPrintable(errorOf(r)));
        r = resolve(R"({"TikTokShortVideoID":"Missing404"})");
        QCOMPARE(r.status, 400);
        QCOMPARE(errorOf(r), QStringLiteral("GetFullTikTokURL: GET request did not return 200 or 302 status code but instead a status code of 404"));
    }

    void loopbackGuardStaysOnWithoutTheTestSwitch()
    {
        m_redirects.insert(QStringLiteral("TTPd2Eobq3"), {301, "https://www.tiktok.com/@scout2015/video/6718335390845095173"});
        startHost(QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(m_fakePort)), false);
        HttpReply r = resolve(R"({"TikTokShortVideoID":"TTPd2Eobq3"})");
        QCOMPARE(r.status, 400);
        QVERIFY2(errorOf(r).contains(QStringLiteral("not https")), qPrintable(errorOf(r)));
        startHost(QUrl(QStringLiteral("https://127.0.0.1:%1/").arg(m_fakePort)), false);
        r = resolve(R"({"TikTokShortVideoID":"TTPd2Eobq3"})");
        QCOMPARE(r.status, 400);
        QVERIFY2(errorOf(r).contains(QStringLiteral("non-public address")), qPrintable(errorOf(r)));
    }
};

QTEST_GUILESS_MAIN(TestTikTok)
#include "tst_tiktok.moc"
