// The host under hostile and faulty conditions (issue 17), on loopback against
// the real EndpointHost: slow and silent clients, connection floods, web pages in
// the user's browser (foreign Origins, DNS rebinding), a storage quota and a
// really full disk (a small tmpfs mounted by the test when it runs as root) during
// uploads and during processing, and per-client limits on unfinished uploads.
//
// The limits are configured small (1-2 s) so the timeouts are quick to see; the
// waits around them are generous and only keep a broken host from hanging the
// run. Nothing here asserts a time.
#include "host/endpointhost.h"
#include "identity/jwt.h"
#include "identity/keys.h"
#include "rawhttpclient.h"
#include "syntheticclip.h"
#include "testfiles.h"
#include "tus/tusuploader.h"

#include <QBuffer>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

#include <sys/mount.h>
#include <unistd.h>

extern "C" {
#include <libavutil/log.h>
}

using namespace deso;
using namespace deso::host;
using namespace rawhttp;

namespace {

const QByteArray kOffsetType = "application/offset+octet-stream";
constexpr int kLongWaitMs = 15000; // a timeout of 1-2 s must have fired well before this

QByteArray request(const QByteArray &method, const QByteArray &target, const Headers &headers = {},
                   const QByteArray &body = {}, const QByteArray &host = "127.0.0.1")
{
    QByteArray out = method + ' ' + target + " HTTP/1.1\r\n";
    if (!host.isEmpty())
        out += "Host: " + host + "\r\n";
    for (const auto &h : headers)
        out += h.first + ": " + h.second + "\r\n";
    if (!body.isEmpty() && method != "PATCH")
        out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    return out + "\r\n" + body;
}

QByteArray creation(qint64 length, const Headers &extra = {})
{
    Headers h{{"Tus-Resumable", "1.0.0"}, {"Upload-Length", QByteArray::number(length)}};
    h += extra;
    return request("POST", "/api/v0/upload-video", h);
}

QByteArray patchHead(const QByteArray &tusPath, qint64 offset, qint64 length)
{
    return request("PATCH", tusPath, {{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", QByteArray::number(offset)},
                                      {"Content-Type", kOffsetType}, {"Content-Length", QByteArray::number(length)}});
}

QByteArray tusPathOf(const Answer &a)
{
    const QUrl location(QString::fromLatin1(a.header("location")));
    return location.path().toLatin1();
}

QByteArray pngBytes(int w, int h, quint32 seed)
{
    QImage image(w, h, QImage::Format_RGB32);
    QRandomGenerator g(seed);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            image.setPixel(x, y, g.generate());
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    return bytes;
}

QStringList filesUnder(const QString &dir)
{
    QStringList out;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext())
        out << QDir(dir).relativeFilePath(it.next());
    out.sort();
    return out;
}

// Writes until the filesystem refuses (ENOSPC): the disk is then really full.
qint64 fillDisk(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered))
        return -1;
    const QByteArray block(64 * 1024, 'x');
    qint64 total = 0;
    for (;;) {
        const qint64 n = f.write(block);
        if (n <= 0)
            break;
        total += n;
    }
    const QByteArray byte(1, 'x');
    while (f.write(byte) == 1) // the last few bytes
        ++total;
    return total;
}

// A tmpfs of `megabytes` mounted on a fresh directory, unmounted on destruction.
class SmallDisk {
public:
    explicit SmallDisk(int megabytes)
    {
        if (::geteuid() != 0) {
            m_why = QStringLiteral("needs root to mount a small tmpfs (running as uid %1)").arg(::geteuid());
            return;
        }
        const QByteArray options = "size=" + QByteArray::number(megabytes) + "m";
        if (::mount("tmpfs", QFile::encodeName(m_dir.path()).constData(), "tmpfs", 0, options.constData()) != 0) {
            m_why = QStringLiteral("mount -t tmpfs failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
            return;
        }
        m_mounted = true;
    }
    ~SmallDisk()
    {
        if (m_mounted)
            ::umount2(QFile::encodeName(m_dir.path()).constData(), MNT_DETACH);
    }
    bool mounted() const { return m_mounted; }
    QString why() const { return m_why; }
    QString path(const QString &name = {}) const { return name.isEmpty() ? m_dir.path() : m_dir.filePath(name); }

private:
    QTemporaryDir m_dir;
    bool m_mounted = false;
    QString m_why;
};

} // namespace

class TestHostile : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    identity::PrivateKey m_key = identity::PrivateKey::generate();

    // A host with the given config (data dir filled in when empty).
    std::unique_ptr<EndpointHost> startHost(HostConfig config, QString *why)
    {
        static int n = 0;
        if (config.dataDir.isEmpty())
            config.dataDir = m_dir.filePath(QStringLiteral("host%1").arg(++n));
        auto host = std::make_unique<EndpointHost>();
        if (auto s = host->start(config); !s.ok()) {
            *why = s.error().toString();
            return nullptr;
        }
        return host;
    }

    static HttpLimits quickLimits()
    {
        HttpLimits l;
        l.headTimeoutMs = 1000;
        l.bodyStallTimeoutMs = 1000;
        l.sendStallTimeoutMs = 2000;
        l.keepAliveIdleMs = 1000;
        return l;
    }

    // One request on a new connection; the answer.
    static std::optional<Answer> exchange(quint16 port, const QByteArray &method, const QByteArray &bytes, QString *why)
    {
        RawClient c;
        if (!c.connectTo(port)) {
            *why = QStringLiteral("cannot connect");
            return std::nullopt;
        }
        if (const QString sent = c.send(bytes); !sent.isEmpty()) {
            *why = sent;
            return std::nullopt;
        }
        return c.read(method, why);
    }

    QByteArray imageForm(const QByteArray &image, QByteArray *contentType) const
    {
        const QByteArray boundary = "----deso-hostile-5e1d";
        *contentType = "multipart/form-data; boundary=" + boundary;
        QByteArray b;
        auto field = [&](const QByteArray &name, const QByteArray &value) {
            b += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
        };
        field("UserPublicKeyBase58Check", m_key.publicKey().toBase58Check(identity::Network::Mainnet).toLatin1());
        field("JWT", identity::signJwt(m_key).toLatin1());
        b += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\n"
             "Content-Type: image/png\r\n\r\n" + image + "\r\n";
        b += "--" + boundary + "--\r\n";
        return b;
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    // ---- 1. Timeouts and bounds ----------------------------------------------

    // Half a head, then nothing: 408 once the head timeout passes, then the close.
    void slowHeadGets408ThenClose()
    {
        HostConfig c;
        c.httpLimits = quickLimits();
        QString why;
        auto host = startHost(c, &why);
        QVERIFY2(host, qPrintable(why));
        RawClient client;
        QVERIFY(client.connectTo(host->port()));
        QCOMPARE(client.send("GET /api/v0/get-video-status/0123456789abcdef0123456789abcdef HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "),
                 QString());
        const auto a = client.read("GET", &why, kLongWaitMs);
        QVERIFY2(a, qPrintable(why));
        QCOMPARE(a->status, 408);
        QVERIFY(a->saysClose());
        QVERIFY2(QJsonDocument::fromJson(a->body).object().value(QStringLiteral("error")).toString().contains(QStringLiteral("did not arrive")),
                 a->body.constData());
        const auto peer = client.waitForClose(kLongWaitMs);
        QVERIFY2(peer == RawClient::Peer::Closed || peer == RawClient::Peer::Reset, peerName(peer));
    }

    // A connection that never sends a byte is closed after the head timeout.
    void silentConnectionIsClosed()
    {
        HostConfig c;
        c.httpLimits = quickLimits();
        c.httpLimits.keepAliveIdleMs = 60000; // so only the head timeout can close it
        QString why;
        auto host = startHost(c, &why);
        QVERIFY2(host, qPrintable(why));
        RawClient client;
        QVERIFY(client.connectTo(host->port()));
        const auto peer = client.waitForClose(kLongWaitMs);
        QVERIFY2(peer == RawClient::Peer::Closed || peer == RawClient::Peer::Reset, peerName(peer));
    }

    // After an answer on a kept-alive connection, idleness closes it.
    void idleKeptAliveConnectionIsClosed()
    {
        HostConfig c;
        c.httpLimits = quickLimits();
        c.httpLimits.headTimeoutMs = 60000; // so only the idle timeout can close it
        QString why;
        auto host = startHost(c, &why);
        QVERIFY2(host, qPrintable(why));
        RawClient client;
        QVERIFY(client.connectTo(host->port()));
        QCOMPARE(client.send(request("GET", "/api/v0/get-video-status/0123456789abcdef0123456789abcdef")), QString());
        const auto a = client.read("GET", &why);
        QVERIFY2(a, qPrintable(why));
        QVERIFY(!a->saysClose());
        const auto peer = client.waitForClose(kLongWaitMs);
        QVERIFY2(peer == RawClient::Peer::Closed || peer == RawClient::Peer::Reset, peerName(peer));
    }

    // A PATCH body that stalls is closed; the bytes that arrived are kept and
    // HEAD says so; the upload then finishes from there.
    void stalledPatchKeepsTheBytesThatArrived()
    {
        HostConfig c;
        c.httpLimits = quickLimits();
        QString why;
        auto host = startHost(c, &why);
        QVERIFY2(host, qPrintable(why));
        const qint64 length = 1024 * 1024;
        const auto created = exchange(host->port(), "POST", creation(length), &why);
        QVERIFY2(created && created->status == 200, qPrintable(created ? QString::fromLatin1(created->brief()) : why));
        const QByteArray tusPath = tusPathOf(*created);

        QByteArray data(length, Qt::Uninitialized);
        for (qint64 i = 0; i < length; ++i)
            data[i] = char(i * 7 % 251);
        const qint64 sent = 300000;
        RawClient stalled;
        QVERIFY(stalled.connectTo(host->port()));
        QCOMPARE(stalled.send(patchHead(tusPath, 0, length) + data.left(sent)), QString());
        const auto peer = stalled.waitForClose(kLongWaitMs);
        QVERIFY2(peer == RawClient::Peer::Closed || peer == RawClient::Peer::Reset, peerName(peer));

        const auto head = exchange(host->port(), "HEAD", request("HEAD", tusPath, {{"Tus-Resumable", "1.0.0"}}), &why);
        QVERIFY2(head, qPrintable(why));
        QCOMPARE(head->header("upload-offset"), QByteArray::number(sent));

        RawClient rest;
        QVERIFY(rest.connectTo(host->port()));
        QCOMPARE(rest.send(patchHead(tusPath, sent, length - sent) + data.mid(sent)), QString());
        const auto done = rest.read("PATCH", &why);
        QVERIFY2(done, qPrintable(why));
        QCOMPARE(done->status, 204);
        QCOMPARE(done->header("upload-offset"), QByteArray::number(length));
    }

    // The connection cap: idle kept-alive connections go first, then dribbling
    // heads, so a well-behaved newcomer is always served.
    void connectionCapLetsAWellBehavedClientIn()
    {
        HostConfig c;
        c.httpLimits.maxConnections = 8;
        QString why;
        auto host = startHost(c, &why);
        QVERIFY2(host, qPrintable(why));
        // An unknown video: the endpoint answers 404, which is all a newcomer needs here.
        const QByteArray status = request("GET", "/api/v0/get-video-status/0123456789abcdef0123456789abcdef");

        // Eight connections, kept alive and idle after one answer each.
        std::vector<std::unique_ptr<RawClient>> idle;
        for (int i = 0; i < 8; ++i) {
            idle.push_back(std::make_unique<RawClient>());
            QVERIFY(idle.back()->connectTo(host->port()));
            QCOMPARE(idle.back()->send(status), QString());
            const auto a = idle.back()->read("GET", &why);
            QVERIFY2(a && a->status == 404, qPrintable(a ? QString::fromLatin1(a->brief()) : why));
        }
        QTest::qWait(1500); // idle for a while now, not just between two requests
        RawClient newcomer;
        QVERIFY(newcomer.connectTo(host->port()));
        QCOMPARE(newcomer.send(status), QString());
        const auto a = newcomer.read("GET", &why);
        QVERIFY2(a && a->status == 404, qPrintable(QStringLiteral("the newcomer: ") + (a ? QString::fromLatin1(a->brief()) : why)));
        const auto oldest = idle.front()->waitForClose(kLongWaitMs);
        QVERIFY2(oldest == RawClient::Peer::Closed || oldest == RawClient::Peer::Reset,
                 qPrintable(QStringLiteral("the oldest idle connection is %1").arg(QLatin1String(peerName(oldest)))));
        idle.clear();
        newcomer.waitForClose(500); // it may stay; only the room matters below
    }

    void connectionCapEvictsDribblersWhenNoneIsIdle()
    {
        HostConfig c;
        c.httpLimits.maxConnections = 8;
        QString why;
        auto host = startHost(c, &why);
        QVERIFY2(host, qPrintable(why));
        std::vector<std::unique_ptr<RawClient>> slow;
        for (int i = 0; i < 8; ++i) {
            slow.push_back(std::make_unique<RawClient>());
            QVERIFY(slow.back()->connectTo(host->port()));
            QCOMPARE(slow.back()->send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-" + QByteArray::number(i) + ": "), QString());
        }
        QTest::qWait(300); // the host has read every first piece
        const auto a = exchange(host->port(), "GET", request("GET", "/api/v0/get-video-status/0123456789abcdef0123456789abcdef"), &why);
        QVERIFY2(a && a->status == 404, qPrintable(QStringLiteral("the newcomer: ") + (a ? QString::fromLatin1(a->brief()) : why)));
        const auto oldest = slow.front()->waitForClose(kLongWaitMs);
        QVERIFY2(oldest == RawClient::Peer::Closed || oldest == RawClient::Peer::Reset, peerName(oldest));
    }

    void oversizedHeadIs431_data()
    {
        QTest::addColumn<bool>("quick");
        QTest::newRow("default limits") << false;
        QTest::newRow("quick limits") << true;
    }

    void oversizedHeadIs431()
    {
        QFETCH(bool, quick);
        HostConfig c;
        if (quick)
            c.httpLimits = quickLimits();
        QString why;
        auto host = startHost(c, &why);
        QVERIFY2(host, qPrintable(why));
        const QByteArray big = request("GET", "/api/v0/get-video-status/0123456789abcdef0123456789abcdef",
                                       {{"X-Big", QByteArray(16 * 1024, 'a')}});
        const auto a = exchange(host->port(), "GET", big, &why);
        QVERIFY2(a, qPrintable(why));
        QCOMPARE(a->status, 431);
        QVERIFY(a->saysClose());
    }

    // ---- 2. Web pages in the user's browser ------------------------------------

    void corsAnswersOnlyAllowedOrigins_data()
    {
        QTest::addColumn<QByteArray>("origin");
        QTest::addColumn<bool>("allowed");
        QTest::newRow("foreign site") << QByteArray("https://evil.example") << false;
        QTest::newRow("null origin") << QByteArray("null") << false;
        QTest::newRow("lookalike") << QByteArray("http://localhost.evil.example") << false;
        QTest::newRow("localhost dev server") << QByteArray("http://localhost:3000") << true;
        QTest::newRow("127.0.0.1") << QByteArray("http://127.0.0.1:8080") << true;
        QTest::newRow("[::1]") << QByteArray("http://[::1]:5173") << true;
        QTest::newRow("configured") << QByteArray("https://app.example") << true;
    }

    void corsAnswersOnlyAllowedOrigins()
    {
        QFETCH(QByteArray, origin);
        QFETCH(bool, allowed);
        HostConfig c;
        c.allowedOrigins = {QStringLiteral("https://app.example")};
        QString why;
        auto host = startHost(c, &why);
        QVERIFY2(host, qPrintable(why));
        for (const QByteArray &target : {QByteArray("/api/v0/upload-video"), QByteArray("/api/v0/get-full-tiktok-url")}) {
            const auto pre = exchange(host->port(), "OPTIONS",
                                      request("OPTIONS", target, {{"Origin", origin}, {"Access-Control-Request-Method", "POST"}}), &why);
            QVERIFY2(pre, qPrintable(why));
            QCOMPARE(pre->header("access-control-allow-origin"), allowed ? origin : QByteArray());
        }
        const auto post = exchange(host->port(), "POST", creation(1000, {{"Origin", origin}}), &why);
        QVERIFY2(post, qPrintable(why));
        QCOMPARE(post->status, allowed ? 200 : 403);
        QCOMPARE(post->header("access-control-allow-origin"), allowed ? origin : QByteArray());
        if (!allowed)
            QVERIFY2(post->body.contains("--allow-origin"), post->body.constData());
    }

    // Nothing is created for a foreign page; the CLI/GUI (no Origin) are unaffected.
    void foreignPagesCannotCreateOrWrite()
    {
        HostConfig c;
        QString why;
        auto host = startHost(c, &why);
        QVERIFY2(host, qPrintable(why));
        const QString uploads = QDir(host->config().dataDir).filePath(QStringLiteral("uploads"));
        const auto before = QDir(uploads).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        const Headers evil{{"Origin", "https://evil.example"}};
        auto refused = exchange(host->port(), "POST", creation(1000, evil), &why);
        QVERIFY2(refused && refused->status == 403, qPrintable(why));
        QCOMPARE(QDir(uploads).entryList(QDir::Dirs | QDir::NoDotAndDotDot), before);

        const auto created = exchange(host->port(), "POST", creation(3), &why); // no Origin: the CLI
        QVERIFY2(created && created->status == 200, qPrintable(why));
        const QByteArray tusPath = tusPathOf(*created);
        refused = exchange(host->port(), "PATCH",
                           request("PATCH", tusPath, {{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", "0"}, {"Content-Type", kOffsetType},
                                                      {"Content-Length", "3"}, {"Origin", "https://evil.example"}}, "abc"),
                           &why);
        QVERIFY2(refused && refused->status == 403, qPrintable(why));
        refused = exchange(host->port(), "DELETE", request("DELETE", tusPath, {{"Tus-Resumable", "1.0.0"}, {"Origin", "https://evil.example"}}), &why);
        QVERIFY2(refused && refused->status == 403, qPrintable(why));
        const auto head = exchange(host->port(), "HEAD", request("HEAD", tusPath, {{"Tus-Resumable", "1.0.0"}}), &why);
        QVERIFY2(head && head->status == 200 && head->header("upload-offset") == "0", qPrintable(why));
        // A page from a loopback origin (a local dev server) may.
        const auto patched = exchange(host->port(), "PATCH",
                                      request("PATCH", tusPath, {{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", "0"},
                                                                 {"Content-Type", kOffsetType}, {"Content-Length", "3"},
                                                                 {"Origin", "http://localhost:8080"}}, "abc"),
                                      &why);
        QVERIFY2(patched && patched->status == 204, qPrintable(why));
        QCOMPARE(patched->header("access-control-allow-origin"), QByteArray("http://localhost:8080"));
    }

    void anyOriginWhenConfiguredWithStar()
    {
        HostConfig c;
        c.allowedOrigins = {QStringLiteral("*")};
        QString why;
        auto host = startHost(c, &why);
        QVERIFY2(host, qPrintable(why));
        const auto post = exchange(host->port(), "POST", creation(10, {{"Origin", "https://evil.example"}}), &why);
        QVERIFY2(post && post->status == 200, qPrintable(why));
        QCOMPARE(post->header("access-control-allow-origin"), QByteArray("https://evil.example"));
    }

    // DNS rebinding: a Host that is not a loopback name is refused, unless listed.
    void foreignHostIsRefused_data()
    {
        QTest::addColumn<QByteArray>("host");
        QTest::addColumn<bool>("refused");
        QTest::newRow("rebound name") << QByteArray("evil.example:8089") << true;
        QTest::newRow("rebound name, no port") << QByteArray("evil.example") << true;
        QTest::newRow("localhost lookalike") << QByteArray("localhost.evil.example") << true;
        QTest::newRow("LAN address") << QByteArray("192.168.1.20:8089") << true;
        QTest::newRow("localhost") << QByteArray("localhost:8089") << false;
        QTest::newRow("LOCALHOST.") << QByteArray("LOCALHOST.:8089") << false;
        QTest::newRow("app.localhost") << QByteArray("app.localhost") << false;
        QTest::newRow("127.0.0.1") << QByteArray("127.0.0.1:8089") << false;
        QTest::newRow("127.1.2.3") << QByteArray("127.1.2.3") << false;
        QTest::newRow("[::1]") << QByteArray("[::1]:8089") << false;
        QTest::newRow("configured") << QByteArray("media.lan:8089") << false;
    }

    void foreignHostIsRefused()
    {
        QFETCH(QByteArray, host);
        QFETCH(bool, refused);
        HostConfig c;
        c.allowedHosts = {QStringLiteral("media.lan")};
        QString why;
        auto h = startHost(c, &why);
        QVERIFY2(h, qPrintable(why));
        const auto a = exchange(h->port(), "GET",
                                request("GET", "/api/v0/get-video-status/0123456789abcdef0123456789abcdef", {}, {}, host), &why);
        QVERIFY2(a, qPrintable(why));
        QCOMPARE(a->status, refused ? 421 : 404); // 404: served, and there is no such video
        const auto created = exchange(h->port(), "POST",
                                      request("POST", "/api/v0/upload-video", {{"Tus-Resumable", "1.0.0"}, {"Upload-Length", "5"}}, {}, host),
                                      &why);
        QVERIFY2(created, qPrintable(why));
        QCOMPARE(created->status, refused ? 421 : 200);
    }

    // The data dir's quota: creations past it are 507 with a sentence; unfinished
    // uploads count with their whole length.
    void storageQuotaRefusesWith507()
    {
        HostConfig c;
        c.maxStorageBytes = 1024 * 1024;
        QString why;
        auto host = startHost(c, &why);
        QVERIFY2(host, qPrintable(why));
        auto a = exchange(host->port(), "POST", creation(2 * 1024 * 1024), &why);
        QVERIFY2(a, qPrintable(why));
        QCOMPARE(a->status, 507);
        QVERIFY2(a->body.contains("storage limit"), a->body.constData());
        a = exchange(host->port(), "POST", creation(600 * 1024), &why);
        QVERIFY2(a && a->status == 200, qPrintable(why));
        a = exchange(host->port(), "POST", creation(600 * 1024), &why); // the first still reserves its length
        QVERIFY2(a && a->status == 507, qPrintable(a ? QString::fromLatin1(a->brief()) : why));
        a = exchange(host->port(), "POST", creation(300 * 1024), &why);
        QVERIFY2(a && a->status == 200, qPrintable(a ? QString::fromLatin1(a->brief()) : why));
    }

    // ---- 3. A full disk ----------------------------------------------------------

    // ENOSPC mid-PATCH: 507 with a sentence, the offset stays at what is stored,
    // the record is readable; once space returns the upload finishes intact.
    void diskFullMidPatchIs507AndResumes()
    {
        SmallDisk disk(8);
        if (!disk.mounted())
            QSKIP(qPrintable(QStringLiteral("no small filesystem: %1").arg(disk.why())));
        HostConfig c;
        c.dataDir = disk.path(QStringLiteral("host"));
        c.maxStorageBytes = 0; // no quota: hit the real disk
        QString why;
        auto host = startHost(c, &why);
        QVERIFY2(host, qPrintable(why));
        QVERIFY(fillDisk(disk.path(QStringLiteral("filler"))) > 0);
        QVERIFY(QFile::resize(disk.path(QStringLiteral("filler")), QFileInfo(disk.path(QStringLiteral("filler"))).size() - 3 * 1024 * 1024));

        const qint64 length = 6 * 1024 * 1024;
        const auto created = exchange(host->port(), "POST", creation(length), &why);
        QVERIFY2(created && created->status == 200, qPrintable(why));
        const QByteArray tusPath = tusPathOf(*created);
        const QString id = QString::fromLatin1(created->header("stream-media-id"));
        QByteArray data(length, Qt::Uninitialized);
        for (qint64 i = 0; i < length; ++i)
            data[i] = char(i * 13 % 241);

        RawClient patch;
        QVERIFY(patch.connectTo(host->port()));
        patch.send(patchHead(tusPath, 0, length) + data); // may be cut short by the host's answer
        const auto a = patch.read("PATCH", &why);
        QVERIFY2(a, qPrintable(why));
        QCOMPARE(a->status, 507);
        QVERIFY2(a->body.contains("disk is full"), a->body.constData());

        const auto head = exchange(host->port(), "HEAD", request("HEAD", tusPath, {{"Tus-Resumable", "1.0.0"}}), &why);
        QVERIFY2(head && head->status == 200, qPrintable(why));
        const qint64 offset = head->header("upload-offset").toLongLong();
        const QString dataFile = c.dataDir + QStringLiteral("/uploads/") + id + QStringLiteral("/data");
        QCOMPARE(QFileInfo(dataFile).size(), offset); // nothing past the recorded offset
        QFile info(c.dataDir + QStringLiteral("/uploads/") + id + QStringLiteral("/info.json"));
        QVERIFY(info.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(info.readAll()).object().value(QStringLiteral("offset")).toInteger(), offset);
        qInfo("ENOSPC mid-PATCH: 507, offset kept at %lld of %lld", offset, length);

        QVERIFY(QFile::remove(disk.path(QStringLiteral("filler"))));
        RawClient rest;
        QVERIFY(rest.connectTo(host->port()));
        QCOMPARE(rest.send(patchHead(tusPath, offset, length - offset) + data.mid(offset)), QString());
        const auto done = rest.read("PATCH", &why);
        QVERIFY2(done && done->status == 204, qPrintable(done ? QString::fromLatin1(done->brief()) : why));
        QFile stored(dataFile);
        QVERIFY(stored.open(QIODevice::ReadOnly));
        QVERIFY(stored.readAll() == data);
    }

    // The real client: it waits with the host's sentence while the disk is full
    // and finishes by itself once space returns.
    void uploaderWaitsForSpaceThenFinishes()
    {
        SmallDisk disk(16);
        if (!disk.mounted())
            QSKIP(qPrintable(QStringLiteral("no small filesystem: %1").arg(disk.why())));
        HostConfig c;
        c.dataDir = disk.path(QStringLiteral("host"));
        c.maxStorageBytes = 0;
        QString why;
        auto host = startHost(c, &why);
        QVERIFY2(host, qPrintable(why));
        const QString file = m_dir.filePath(QStringLiteral("upload-6m.bin"));
        QVERIFY(testcommon::writeRandomFile(file, 6 * 1024 * 1024, 17));
        QVERIFY(fillDisk(disk.path(QStringLiteral("filler"))) > 0);
        QVERIFY(QFile::resize(disk.path(QStringLiteral("filler")), QFileInfo(disk.path(QStringLiteral("filler"))).size() - 2 * 1024 * 1024));

        tus::TusOptions options;
        options.chunkSize = 5 * 1024 * 1024;
        options.storageFullRetryMs = 200;
        options.resume = false;
        options.storeFile = m_dir.filePath(QStringLiteral("tus-store.json"));
        tus::TusUploader uploader(QUrl(host->baseUrl().toString() + QStringLiteral("/api/v0/upload-video")), file, options);
        QSignalSpy retrying(&uploader, &tus::TusUploader::retrying);
        QSignalSpy finished(&uploader, &tus::TusUploader::finished);
        QSignalSpy failed(&uploader, &tus::TusUploader::failed);
        uploader.start();
        QTRY_VERIFY_WITH_TIMEOUT(retrying.size() >= 3 || !failed.isEmpty() || !finished.isEmpty(), 60000);
        QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).value<Error>().toString()));
        const Error cause = retrying.last().value(2).value<Error>();
        QVERIFY2(cause.message.contains(QStringLiteral("disk is full")), qPrintable(cause.toString()));
        QVERIFY(finished.isEmpty());

        QVERIFY(QFile::remove(disk.path(QStringLiteral("filler"))));
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty() || !failed.isEmpty(), 60000);
        QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).value<Error>().toString()));
        const auto result = finished.first().first().value<tus::TusUploadResult>();
        QCOMPARE(testcommon::sha256Of(c.dataDir + QStringLiteral("/uploads/") + result.mediaId + QStringLiteral("/data")),
                 testcommon::sha256Of(file));
        qInfo("uploader on a full disk: %lld waits with the host's sentence, then finished byte-identical", qlonglong(retrying.size()));
    }

    // upload-image on a full disk: 507, and no partial file in images/.
    void imageUploadOnAFullDiskIs507AndLeavesNothing()
    {
        SmallDisk disk(8);
        if (!disk.mounted())
            QSKIP(qPrintable(QStringLiteral("no small filesystem: %1").arg(disk.why())));
        HostConfig c;
        c.dataDir = disk.path(QStringLiteral("host"));
        c.maxStorageBytes = 0;
        QString why;
        auto host = startHost(c, &why);
        QVERIFY2(host, qPrintable(why));
        const QString images = c.dataDir + QStringLiteral("/images");
        QVERIFY(fillDisk(disk.path(QStringLiteral("filler"))) > 0);
        QByteArray type;
        const QByteArray form = imageForm(pngBytes(400, 300, 5), &type);
        const auto a = exchange(host->port(), "POST",
                                request("POST", "/api/v0/upload-image", {{"Content-Type", type}}, form), &why);
        QVERIFY2(a, qPrintable(why));
        QCOMPARE(a->status, 507);
        QVERIFY2(a->body.contains("disk is full"), a->body.constData());
        QCOMPARE(filesUnder(images), QStringList());

        QVERIFY(QFile::remove(disk.path(QStringLiteral("filler"))));
        const auto ok = exchange(host->port(), "POST",
                                 request("POST", "/api/v0/upload-image", {{"Content-Type", type}}, form), &why);
        QVERIFY2(ok && ok->status == 200, qPrintable(ok ? QString::fromLatin1(ok->brief()) : why));
        QCOMPARE(filesUnder(images).size(), 1);
    }

    // A video whose processing runs out of disk: failed with a sentence that says
    // so, partial outputs removed, the upload kept, the host answering. Once space
    // returns, a restart of the host processes it again (the retry path) to ready.
    void processingOnAFullDiskFailsThenRetriesOnRestart()
    {
        av_log_set_level(AV_LOG_QUIET); // the clip encoder's statistics
        SmallDisk disk(24);
        if (!disk.mounted())
            QSKIP(qPrintable(QStringLiteral("no small filesystem: %1").arg(disk.why())));
        const QString clipPath = m_dir.filePath(QStringLiteral("clip-enospc.mp4"));
        const QByteArray bytes = syntheticClipBytes(clipPath, 1280, 720, 3.0);
        QVERIFY(!bytes.isEmpty());

        HostConfig c;
        c.dataDir = disk.path(QStringLiteral("host"));
        c.maxStorageBytes = 0; // no quota: hit the real disk
        QString why;
        auto host = startHost(c, &why);
        QVERIFY2(host, qPrintable(why));
        // Room for the upload and its records, not for the ladder, poster and MP4.
        const QString filler = disk.path(QStringLiteral("filler"));
        QVERIFY(fillDisk(filler) > 0);
        QVERIFY(QFile::resize(filler, QFileInfo(filler).size() - bytes.size() - 256 * 1024));

        const QByteArray creationWithUpload = request(
            "POST", "/api/v0/upload-video",
            {{"Tus-Resumable", "1.0.0"}, {"Upload-Length", QByteArray::number(bytes.size())},
             {"Content-Type", kOffsetType}, {"Content-Length", QByteArray::number(bytes.size())}}) + bytes;
        const auto created = exchange(host->port(), "POST", creationWithUpload, &why);
        QVERIFY2(created && (created->status == 200 || created->status == 204)
                     && created->header("upload-offset").toLongLong() == bytes.size(),
                 qPrintable(created ? QString::fromLatin1(created->brief()) : why));
        const QString id = QString::fromLatin1(created->header("stream-media-id"));
        const QByteArray statusRequest = request("GET", "/api/v0/get-video-status/" + id.toLatin1());
        auto status = [&] {
            QString ignored;
            const auto a = exchange(host->port(), "GET", statusRequest, &ignored);
            return a && a->status == 200 ? QJsonDocument::fromJson(a->body).object() : QJsonObject();
        };
        auto settled = [&] {
            const QString s = status().value(QStringLiteral("state")).toString();
            return s == QLatin1String("error") || s == QLatin1String("ready");
        };
        QTRY_VERIFY_WITH_TIMEOUT(settled(), 120000);
        const QJsonObject failed = status();
        QCOMPARE(failed.value(QStringLiteral("state")).toString(), QStringLiteral("error"));
        QCOMPARE(failed.value(QStringLiteral("errorReasonCode")).toString(), QStringLiteral("ERR_STORAGE_FULL"));
        const QString sentence = failed.value(QStringLiteral("errorReasonText")).toString(); // legacy shape
        QCOMPARE(failed.value(QStringLiteral("status")).toObject().value(QStringLiteral("errorMessage")).toString(), sentence);
        QCOMPARE(failed.value(QStringLiteral("status")).toObject().value(QStringLiteral("phase")).toString(), QStringLiteral("failed"));
        QVERIFY2(sentence.contains(QStringLiteral("disk is full")) && sentence.contains(QStringLiteral("no space left")),
                 qPrintable(QJsonDocument(failed).toJson(QJsonDocument::Compact)));
        QCOMPARE(failed.value(QStringLiteral("ReadyToStream")).toBool(), false);
        const QString uploadDir = c.dataDir + QStringLiteral("/uploads/") + id;
        QVERIFY2(!QDir(uploadDir + QStringLiteral("/media")).exists() && !QDir(uploadDir + QStringLiteral("/media.partial")).exists(),
                 qPrintable(filesUnder(uploadDir).join(QLatin1Char(' '))));
        QCOMPARE(testcommon::sha256Of(uploadDir + QStringLiteral("/data")), testcommon::sha256Of(clipPath));
        const auto options = exchange(host->port(), "OPTIONS", request("OPTIONS", "/api/v0/upload-video"), &why);
        QVERIFY2(options && options->status == 204, qPrintable(why)); // still answering
        qInfo("ENOSPC during processing: %s", qPrintable(sentence));

        // Space returns; the retry path is a restart of the host.
        QVERIFY(QFile::remove(filler));
        host.reset();
        host = startHost(c, &why);
        QVERIFY2(host, qPrintable(why));
        QTRY_VERIFY_WITH_TIMEOUT(settled(), 120000);
        const QJsonObject ready = status();
        QCOMPARE(ready.value(QStringLiteral("state")).toString(), QStringLiteral("ready"));
        QCOMPARE(ready.value(QStringLiteral("ReadyToStream")).toBool(), true);
        QVERIFY(QFile::exists(uploadDir + QStringLiteral("/media/master.m3u8")));
        QVERIFY(!QDir(uploadDir + QStringLiteral("/media.partial")).exists());
    }

    // At most N unfinished tus uploads per client address: one more is 429 with a
    // sentence; a finished (or deleted) one frees its place.
    void unfinishedUploadsPerClientAreBounded()
    {
        HostConfig c;
        c.maxUnfinishedUploadsPerClient = 3;
        QString why;
        auto host = startHost(c, &why);
        QVERIFY2(host, qPrintable(why));
        QList<QByteArray> paths;
        for (int i = 0; i < 3; ++i) {
            const auto a = exchange(host->port(), "POST", creation(1000), &why);
            QVERIFY2(a && a->status == 200, qPrintable(a ? QString::fromLatin1(a->brief()) : why));
            paths << tusPathOf(*a);
        }
        const auto refused = exchange(host->port(), "POST", creation(1000), &why);
        QVERIFY2(refused, qPrintable(why));
        QCOMPARE(refused->status, 429);
        QVERIFY2(refused->body.contains("already has 3 unfinished uploads"), refused->body.constData());
        // An empty upload is finished at creation: it holds no place.
        const auto empty = exchange(host->port(), "POST", creation(0), &why);
        QVERIFY2(empty && empty->status == 200, qPrintable(empty ? QString::fromLatin1(empty->brief()) : why));

        // Finishing one frees a place.
        RawClient patch;
        QVERIFY(patch.connectTo(host->port()));
        QCOMPARE(patch.send(patchHead(paths[0], 0, 1000) + QByteArray(1000, 'v')), QString());
        const auto patched = patch.read("PATCH", &why);
        QVERIFY2(patched && patched->status == 204, qPrintable(patched ? QString::fromLatin1(patched->brief()) : why));
        const auto fourth = exchange(host->port(), "POST", creation(1000), &why);
        QVERIFY2(fourth && fourth->status == 200, qPrintable(fourth ? QString::fromLatin1(fourth->brief()) : why));
        // Deleting one (tus termination) frees a place too.
        const auto full = exchange(host->port(), "POST", creation(1000), &why);
        QVERIFY2(full && full->status == 429, qPrintable(full ? QString::fromLatin1(full->brief()) : why));
        const auto deleted = exchange(host->port(), "DELETE", request("DELETE", paths[1], {{"Tus-Resumable", "1.0.0"}}), &why);
        QVERIFY2(deleted && deleted->status == 204, qPrintable(deleted ? QString::fromLatin1(deleted->brief()) : why));
        const auto fifth = exchange(host->port(), "POST", creation(1000), &why);
        QVERIFY2(fifth && fifth->status == 200, qPrintable(fifth ? QString::fromLatin1(fifth->brief()) : why));
    }
};

QTEST_MAIN(TestHostile)
#include "tst_hostile.moc"
