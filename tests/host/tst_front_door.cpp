// The host's HTTP/1.1 front door, byte by byte on loopback: keep-alive across
// JSON and tus, pipelining, Content-Length framing (duplicated, listed, over the
// endpoint's bound), chunked bodies, Expect: 100-continue, HEAD, Range and
// connection close. Every request is written as raw bytes and every answer is
// parsed here (status line, headers, Content-Length or chunked framing), so the
// test sees exactly what a client on the wire sees, whichever HTTP stack serves it.
//
// Only the public EndpointHost API is used; the host runs on its own thread, so
// blocking socket calls in the test thread never starve it. Timeouts are generous
// and only keep a broken server from hanging the run; nothing here measures time.
#include "host/endpointhost.h"
#include "identity/jwt.h"
#include "identity/keys.h"
#include "nodetest/sampleclip.h"
#include "rawhttpclient.h"

#include <QBuffer>
#include <QDeadlineTimer>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QThread>
#include <QUrl>
#include <QtTest>

#include <optional>

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace deso;
using namespace deso::host;
using namespace rawhttp;

namespace {

constexpr qint64 kJsonBound = 64 * 1024;              // issue 18: JSON endpoints
constexpr qint64 kImageBound = 10000000 + 1024 * 1024; // issue 18: upload-image form
const QByteArray kOffsetType = "application/offset+octet-stream";

QByteArray chunked(const QByteArray &body, int pieces)
{
    QByteArray out;
    const qsizetype step = qMax<qsizetype>(1, (body.size() + pieces - 1) / pieces);
    for (qsizetype at = 0; at < body.size(); at += step) {
        const QByteArray piece = body.mid(at, step);
        out += QByteArray::number(piece.size(), 16) + "\r\n" + piece + "\r\n";
    }
    return out + "0\r\n\r\n";
}

QByteArray pngBytes()
{
    QImage image(64, 48, QImage::Format_RGB32);
    image.fill(QColor(200, 80, 30));
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    return bytes;
}

} // namespace

class TestFrontDoor : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<EndpointHost> m_host;
    identity::PrivateKey m_key = identity::PrivateKey::generate();
    QString m_publicKey;
    QString m_videoId;     // a ready video, once readyVideo() has run
    QByteArray m_videoBytes;

    QByteArray hostHeader() const { return "127.0.0.1:" + QByteArray::number(m_host->port()); }

    // A request as exact bytes. Host is added first; `headers` follow as given
    // (so tests can repeat or malform them); the body is appended as is.
    QByteArray request(const QByteArray &method, const QByteArray &target, const Headers &headers = {},
                       const QByteArray &body = {}, const QByteArray &version = "HTTP/1.1") const
    {
        QByteArray out = method + ' ' + target + ' ' + version + "\r\nHost: " + hostHeader() + "\r\n";
        for (const auto &h : headers)
            out += h.first + ": " + h.second + "\r\n";
        return out + "\r\n" + body;
    }

    // One request on a fresh connection; the answer or a failure sentence.
    std::optional<Answer> exchange(const QByteArray &method, const QByteArray &bytes, QString *why)
    {
        RawClient c;
        if (!c.connectTo(m_host->port())) {
            *why = QStringLiteral("cannot connect");
            return std::nullopt;
        }
        if (const QString e = c.send(bytes); !e.isEmpty()) {
            *why = e;
            return std::nullopt;
        }
        return c.read(method, why);
    }

    struct Upload {
        QByteArray tusPath; // /tus/<token>
        QByteArray id;      // Stream-Media-Id
    };

    // A tus creation (POST /api/v0/upload-video with Upload-Length), on its own connection.
    std::optional<Upload> createUpload(qint64 length, QString *why)
    {
        const auto a = exchange("POST", request("POST", "/api/v0/upload-video",
                                                {{"Tus-Resumable", "1.0.0"}, {"Upload-Length", QByteArray::number(length)},
                                                 {"Content-Length", "0"}}),
                                why);
        if (!a)
            return std::nullopt;
        if (a->status != 200 && a->status != 201) {
            *why = QStringLiteral("creation answered %1").arg(QString::fromLatin1(a->brief()));
            return std::nullopt;
        }
        const Upload u{QUrl(QString::fromLatin1(a->header("location"))).path().toLatin1(), a->header("stream-media-id")};
        if (!u.tusPath.startsWith("/tus/") || u.id.isEmpty()) {
            *why = QStringLiteral("creation gave no usable Location / Stream-Media-Id: %1").arg(QString::fromLatin1(a->brief()));
            return std::nullopt;
        }
        return u;
    }

    QByteArray patchRequest(const QByteArray &tusPath, qint64 offset, const QByteArray &body, Headers extra = {}) const
    {
        Headers h{{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", QByteArray::number(offset)}, {"Content-Type", kOffsetType},
                  {"Content-Length", QByteArray::number(body.size())}};
        h += extra;
        return request("PATCH", tusPath, h, body);
    }

    QByteArray statusPath(const QByteArray &id) const { return "/api/v0/get-video-status/" + id; }

    // upload-image's form: public key, a fresh JWT and a real PNG.
    QByteArray imageForm(QByteArray *contentType) const
    {
        const QByteArray boundary = "----deso-front-door-3f9a1c";
        *contentType = "multipart/form-data; boundary=" + boundary;
        QByteArray b;
        auto field = [&](const QByteArray &name, const QByteArray &value) {
            b += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
        };
        field("UserPublicKeyBase58Check", m_publicKey.toLatin1());
        field("JWT", identity::signJwt(m_key).toLatin1());
        b += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"door.png\"\r\n"
             "Content-Type: image/png\r\n\r\n" + pngBytes() + "\r\n";
        b += "--" + boundary + "--\r\n";
        return b;
    }

    // A small real MP4 uploaded with tus and probed until ReadyToStream (once per run).
    bool readyVideo(QString *why)
    {
        if (!m_videoId.isEmpty())
            return true;
        const QString clip = m_dir.filePath(QStringLiteral("clip.mp4"));
        if (auto s = nodetest::writeSampleClip(clip, 300 * 1000); !s.ok()) {
            *why = s.error().toString();
            return false;
        }
        QFile f(clip);
        if (!f.open(QIODevice::ReadOnly)) {
            *why = QStringLiteral("cannot read the sample clip");
            return false;
        }
        const QByteArray bytes = f.readAll();
        const auto u = createUpload(bytes.size(), why);
        if (!u)
            return false;
        const auto p = exchange("PATCH", patchRequest(u->tusPath, 0, bytes), why);
        if (!p)
            return false;
        if (p->status != 204) {
            *why = QStringLiteral("the clip's PATCH answered %1").arg(QString::fromLatin1(p->brief()));
            return false;
        }
        const QDeadlineTimer deadline(30000);
        while (!deadline.hasExpired()) {
            const auto s = exchange("GET", request("GET", statusPath(u->id)), why);
            if (s && s->status == 200) {
                const QJsonObject o = QJsonDocument::fromJson(s->body).object();
                if (o.value(QStringLiteral("ReadyToStream")).toBool()) {
                    m_videoId = QString::fromLatin1(u->id);
                    m_videoBytes = bytes;
                    return true;
                }
                if (o.value(QStringLiteral("state")).toString() == QLatin1String("error")) {
                    *why = QStringLiteral("the clip was refused: %1").arg(QString::fromLatin1(s->body));
                    return false;
                }
            }
            QThread::msleep(50);
        }
        *why = QStringLiteral("the clip never became ReadyToStream (last: %1)").arg(*why);
        return false;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_publicKey = m_key.publicKey().toBase58Check(identity::Network::Mainnet);
        HostConfig c;
        c.dataDir = m_dir.filePath(QStringLiteral("host"));
        m_host = std::make_unique<EndpointHost>();
        const auto s = m_host->start(c);
        QVERIFY2(s.ok(), qPrintable(s.ok() ? QString() : s.error().toString()));
    }

    void cleanupTestCase() { m_host.reset(); }

    // 100 requests on one connection, JSON and tus mixed: every answer comes back
    // on that connection, in order, with the expected status, none saying close.
    void hundredMixedRequestsOnOneKeptAliveConnection()
    {
        QString why;
        const auto u = createUpload(100, &why);
        QVERIFY2(u, qPrintable(why));
        RawClient c;
        QVERIFY(c.connectTo(m_host->port()));
        qint64 offset = 0;
        const QList<QByteArray> optionsTargets{"/api/v0/upload-video", statusPath(u->id), u->tusPath,
                                               "/api/v0/get-full-tiktok-url"};
        for (int i = 0; i < 100; ++i) {
            QByteArray method, target, bytes;
            QList<int> expected;
            switch (i % 5) {
            case 0:
                method = "GET", target = statusPath(u->id), expected = {200};
                bytes = request(method, target);
                break;
            case 1:
                method = "POST", target = "/api/v0/get-full-tiktok-url", expected = {400};
                bytes = request(method, target, {{"Content-Type", "application/json"}, {"Content-Length", "9"}}, "{not json");
                break;
            case 2:
                method = "HEAD", target = u->tusPath, expected = {200};
                bytes = request(method, target, {{"Tus-Resumable", "1.0.0"}});
                break;
            case 3:
                method = "PATCH", target = u->tusPath, expected = {204};
                bytes = patchRequest(target, offset, QByteArray(1, char('a' + i % 26)));
                break;
            default:
                method = "OPTIONS", target = optionsTargets[(i / 5) % optionsTargets.size()], expected = {200, 204};
                bytes = request(method, target, {{"Origin", "http://example.test"}, {"Access-Control-Request-Method", "POST"}});
                break;
            }
            const QString label = QStringLiteral("request #%1 of 100 (%2 %3)").arg(i + 1).arg(QString::fromLatin1(method), QString::fromLatin1(target));
            const QString sent = c.send(bytes);
            QVERIFY2(sent.isEmpty(), qPrintable(label + QStringLiteral(": ") + sent));
            const auto a = c.read(method, &why);
            QVERIFY2(a, qPrintable(label + QStringLiteral(": ") + why));
            QVERIFY2(expected.contains(a->status),
                     qPrintable(label + QStringLiteral(": expected %1, got %2").arg(expected.first()).arg(QString::fromLatin1(a->brief()))));
            QVERIFY2(!a->saysClose(), qPrintable(label + QStringLiteral(": the answer says Connection: close on a kept-alive HTTP/1.1 connection")));
            if (i % 5 == 0)
                QVERIFY2(QJsonDocument::fromJson(a->body).object().contains(QStringLiteral("ReadyToStream")), qPrintable(label + QStringLiteral(": ") + QString::fromLatin1(a->body)));
            if (i % 5 == 1)
                QVERIFY2(QJsonDocument::fromJson(a->body).object().contains(QStringLiteral("error")), qPrintable(label + QStringLiteral(": ") + QString::fromLatin1(a->body)));
            if (i % 5 == 2)
                QVERIFY2(a->header("upload-offset") == QByteArray::number(offset), qPrintable(label + QStringLiteral(": Upload-Offset ") + QString::fromLatin1(a->header("upload-offset"))));
            if (i % 5 == 3) {
                ++offset;
                QCOMPARE(a->header("upload-offset"), QByteArray::number(offset));
            }
        }
    }

    // Two requests on one connection, per endpoint: after the first answer the
    // connection is still open and carries the second (a map of who keeps alive).
    void keptAliveAfterEachEndpoint_data()
    {
        QTest::addColumn<QByteArray>("endpoint");
        for (const char *e : {"get-video-status", "get-video-dimensions", "get-full-tiktok-url", "upload-image", "upload-video-creation",
                              "tus-head", "tus-patch", "options-json", "options-tus", "videos", "images-missing", "unknown-path"})
            QTest::newRow(e) << QByteArray(e);
    }

    void keptAliveAfterEachEndpoint()
    {
        QFETCH(QByteArray, endpoint);
        QString why;
        QVERIFY2(readyVideo(&why), qPrintable(why));
        const auto u = createUpload(10, &why);
        QVERIFY2(u, qPrintable(why));
        const QByteArray id = m_videoId.toLatin1();
        QByteArray method = "GET", bytes;
        QList<int> expected{200};
        if (endpoint == "get-video-status") {
            bytes = request(method, statusPath(id));
        } else if (endpoint == "get-video-dimensions") {
            bytes = request(method, "/api/v0/get-video-dimensions/" + id);
        } else if (endpoint == "get-full-tiktok-url") {
            method = "POST", expected = {400};
            bytes = request(method, "/api/v0/get-full-tiktok-url", {{"Content-Type", "application/json"}, {"Content-Length", "9"}}, "{not json");
        } else if (endpoint == "upload-image") {
            method = "POST";
            QByteArray type;
            const QByteArray form = imageForm(&type);
            bytes = request(method, "/api/v0/upload-image", {{"Content-Type", type}, {"Content-Length", QByteArray::number(form.size())}}, form);
        } else if (endpoint == "upload-video-creation") {
            method = "POST", expected = {200, 201};
            bytes = request(method, "/api/v0/upload-video", {{"Tus-Resumable", "1.0.0"}, {"Upload-Length", "10"}, {"Content-Length", "0"}});
        } else if (endpoint == "tus-head") {
            method = "HEAD";
            bytes = request(method, u->tusPath, {{"Tus-Resumable", "1.0.0"}});
        } else if (endpoint == "tus-patch") {
            method = "PATCH", expected = {204};
            bytes = patchRequest(u->tusPath, 0, "12345");
        } else if (endpoint == "options-json") {
            method = "OPTIONS", expected = {200, 204};
            bytes = request(method, statusPath(id), {{"Origin", "http://example.test"}, {"Access-Control-Request-Method", "GET"}});
        } else if (endpoint == "options-tus") {
            method = "OPTIONS", expected = {200, 204};
            bytes = request(method, u->tusPath, {{"Origin", "http://example.test"}, {"Access-Control-Request-Method", "PATCH"}});
        } else if (endpoint == "videos") {
            expected = {206};
            bytes = request(method, "/videos/" + id, {{"Range", "bytes=0-9"}});
        } else if (endpoint == "images-missing") {
            expected = {404};
            bytes = request(method, "/images/" + QByteArray(64, 'a') + ".webp");
        } else {
            expected = {404};
            bytes = request(method, "/api/v0/no-such-endpoint");
        }
        RawClient c;
        QVERIFY(c.connectTo(m_host->port()));
        QVERIFY(c.send(bytes).isEmpty());
        const auto first = c.read(method, &why);
        QVERIFY2(first, qPrintable(QStringLiteral("first request: ") + why));
        QVERIFY2(expected.contains(first->status), qPrintable(QStringLiteral("first request: expected %1, got %2").arg(expected.first()).arg(QString::fromLatin1(first->brief()))));
        QVERIFY2(!first->saysClose(), qPrintable(QStringLiteral("the %1 answer says Connection: close on a kept-alive HTTP/1.1 connection").arg(QString::fromLatin1(first->statusLine))));
        QVERIFY(c.send(request("GET", statusPath(id))).isEmpty());
        const auto second = c.read("GET", &why);
        QVERIFY2(second, qPrintable(QStringLiteral("second request on the same connection: ") + why));
        QVERIFY2(second->status == 200, qPrintable(QStringLiteral("second request: %1").arg(QString::fromLatin1(second->brief()))));
    }

    // Several requests in one write(): the answers come back in the order asked.
    // "mixed" is the case that matters; the one-kind rows say which half breaks.
    void pipelinedRequestsAreAnsweredInOrder_data()
    {
        QTest::addColumn<QByteArray>("mix");
        QTest::newRow("mixed-json-and-tus") << QByteArray("mixed");
        QTest::newRow("tus-only") << QByteArray("tus");
        QTest::newRow("json-only") << QByteArray("json");
    }

    void pipelinedRequestsAreAnsweredInOrder()
    {
        QFETCH(QByteArray, mix);
        QString why;
        const auto u = createUpload(50, &why);
        QVERIFY2(u, qPrintable(why));
        struct Step {
            QByteArray method;
            QByteArray bytes;
            int status;
            QByteArray offset; // Upload-Offset expected on tus answers, else empty
        };
        const QByteArray tiktokBad = request("POST", "/api/v0/get-full-tiktok-url",
                                             {{"Content-Type", "application/json"}, {"Content-Length", "9"}}, "{not json");
        const QByteArray tusHead = request("HEAD", u->tusPath, {{"Tus-Resumable", "1.0.0"}});
        QList<Step> steps;
        if (mix == "mixed") {
            steps = {
                {"GET", request("GET", statusPath(u->id)), 200, {}},
                {"HEAD", tusHead, 200, "0"},
                {"POST", tiktokBad, 400, {}},
                {"PATCH", patchRequest(u->tusPath, 0, "hello"), 204, "5"},
                {"OPTIONS", request("OPTIONS", "/api/v0/upload-video"), 204, {}},
                {"GET", request("GET", statusPath(u->id)), 200, {}},
                {"HEAD", tusHead, 200, "5"},
                {"GET", request("GET", "/api/v0/get-video-status/notanid"), 400, {}},
            };
        } else if (mix == "tus") {
            steps = {
                {"HEAD", tusHead, 200, "0"},
                {"PATCH", patchRequest(u->tusPath, 0, "hello"), 204, "5"},
                {"OPTIONS", request("OPTIONS", "/api/v0/upload-video"), 204, {}},
                {"HEAD", tusHead, 200, "5"},
                {"PATCH", patchRequest(u->tusPath, 5, "world"), 204, "10"},
                {"HEAD", tusHead, 200, "10"},
            };
        } else {
            steps = {
                {"GET", request("GET", statusPath(u->id)), 200, {}},
                {"POST", tiktokBad, 400, {}},
                {"GET", request("GET", "/api/v0/get-video-status/notanid"), 400, {}},
                {"GET", request("GET", statusPath(u->id)), 200, {}},
            };
        }
        QByteArray all;
        for (const Step &s : steps)
            all += s.bytes;
        RawClient c;
        QVERIFY(c.connectTo(m_host->port()));
        QVERIFY(c.send(all).isEmpty());
        for (int i = 0; i < steps.size(); ++i) {
            const QString label = QStringLiteral("pipelined answer #%1 (%2)").arg(i + 1).arg(QString::fromLatin1(steps[i].bytes.left(steps[i].bytes.indexOf(" HTTP/"))));
            const auto a = c.read(steps[i].method, &why);
            QVERIFY2(a, qPrintable(label + QStringLiteral(": ") + why));
            QVERIFY2(a->status == steps[i].status || (steps[i].method == "OPTIONS" && a->status == 200),
                     qPrintable(label + QStringLiteral(": expected %1, got %2").arg(steps[i].status).arg(QString::fromLatin1(a->brief()))));
            if (!steps[i].offset.isEmpty())
                QVERIFY2(a->header("upload-offset") == steps[i].offset,
                         qPrintable(label + QStringLiteral(": Upload-Offset %1, expected %2").arg(QString::fromLatin1(a->header("upload-offset")), QString::fromLatin1(steps[i].offset))));
            if (steps[i].method == "GET" && steps[i].status == 200)
                QVERIFY2(QJsonDocument::fromJson(a->body).object().contains(QStringLiteral("ReadyToStream")), qPrintable(label + QStringLiteral(": ") + QString::fromLatin1(a->body)));
        }
    }

    // Two Content-Length headers, one listing values, or a signed one, are refused with 400 on
    // every path and the connection closes (the framing cannot be trusted). Each
    // request is otherwise one the endpoint would take, so a server that picks one
    // of the values gives itself away (its answer equals the single-length one).
    void duplicatedOrListedContentLengthIs400AndCloses_data()
    {
        QTest::addColumn<QByteArray>("endpoint");
        QTest::addColumn<QByteArray>("variant");
        const QList<QByteArray> endpoints{"upload-image", "get-full-tiktok-url", "upload-video-creation", "tus-patch", "unknown-path"};
        const QList<QByteArray> variants{"twice", "listed-same", "listed-2-64MiB", "signed"};
        for (const auto &e : endpoints)
            for (const auto &v : variants)
                QTest::addRow("%s/%s", e.constData(), v.constData()) << e << v;
    }

    void duplicatedOrListedContentLengthIs400AndCloses()
    {
        QFETCH(QByteArray, endpoint);
        QFETCH(QByteArray, variant);
        QString why;
        // The request without the length headers: method, target, headers, body.
        auto build = [&](const Headers &lengthHeaders, QByteArray *method) -> QByteArray {
            Headers h;
            QByteArray target, body;
            *method = "POST";
            if (endpoint == "upload-image") {
                QByteArray type;
                body = imageForm(&type);
                target = "/api/v0/upload-image";
                h = {{"Content-Type", type}};
            } else if (endpoint == "get-full-tiktok-url") {
                target = "/api/v0/get-full-tiktok-url";
                body = "{\"TikTokShortVideoID\":\"x\"}";
                h = {{"Content-Type", "application/json"}};
            } else if (endpoint == "upload-video-creation") {
                target = "/api/v0/upload-video";
                body = "12345";
                h = {{"Tus-Resumable", "1.0.0"}, {"Upload-Length", "5"}, {"Content-Type", kOffsetType}};
            } else if (endpoint == "tus-patch") {
                const auto u = createUpload(5, &why);
                if (!u)
                    return {};
                *method = "PATCH";
                target = u->tusPath;
                body = "12345";
                h = {{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", "0"}, {"Content-Type", kOffsetType}};
            } else {
                target = "/api/v0/no-such-endpoint";
                body = "12345";
                h = {{"Content-Type", "application/json"}};
            }
            h += lengthHeaders;
            return request(*method, target, h, body);
        };
        // Lengths are the body's own, so only the framing is wrong.
        QByteArray method;
        const QByteArray probe = build({}, &method);
        QVERIFY2(!probe.isEmpty(), qPrintable(why));
        const QByteArray length = QByteArray::number(probe.size() - probe.indexOf("\r\n\r\n") - 4);
        Headers lengths;
        if (variant == "twice")
            lengths = {{"Content-Length", length}, {"Content-Length", length}};
        else if (variant == "listed-same")
            lengths = {{"Content-Length", length + ", " + length}};
        else if (variant == "signed")
            lengths = {{"Content-Length", "+" + length}}; // RFC 9110 §8.6: 1*DIGIT, no sign
        else
            lengths = {{"Content-Length", "2, 67108864"}};

        // What the endpoint says to the same request with one Content-Length.
        const auto reference = exchange(method, build({{"Content-Length", length}}, &method), &why);
        QVERIFY2(reference, qPrintable(QStringLiteral("the single-length reference request: ") + why));

        RawClient c;
        QVERIFY(c.connectTo(m_host->port()));
        QVERIFY(c.send(build(lengths, &method)).isEmpty());
        const auto a = c.read(method, &why);
        QVERIFY2(a, qPrintable(QStringLiteral("no answer to the %1 Content-Length: %2").arg(QString::fromLatin1(variant), why)));
        QVERIFY2(a->status == 400, qPrintable(QStringLiteral("expected 400, got %1 (single length gives %2)")
                                                  .arg(QString::fromLatin1(a->brief()), QString::fromLatin1(reference->brief()))));
        if (reference->status == 400)
            QVERIFY2(a->body != reference->body,
                     qPrintable(QStringLiteral("the 400 is the endpoint's own answer to the body (%1): the server framed the body with one of the values instead of refusing")
                                    .arg(QString::fromLatin1(a->body))));
        const auto peer = c.waitForClose();
        QVERIFY2(peer == RawClient::Peer::Closed || peer == RawClient::Peer::Reset,
                 qPrintable(QStringLiteral("after the 400 the connection is %1, expected closed").arg(QLatin1String(peerName(peer)))));
    }

    // A body longer than the endpoint takes is refused from the head: only the
    // head is sent, and the 413 must come without waiting for a byte of body. The
    // unread body could follow, so the server then closes (RFC 9110 §15.5.14).
    void overBoundIs413FromTheHead_data()
    {
        QTest::addColumn<QByteArray>("endpoint");
        QTest::addColumn<qint64>("length");
        QTest::newRow("upload-image/just-over") << QByteArray("upload-image") << qint64(kImageBound + 1);
        QTest::newRow("upload-image/12MB") << QByteArray("upload-image") << qint64(12000000);
        QTest::newRow("upload-image/1GiB") << QByteArray("upload-image") << (qint64(1) << 30);
        QTest::newRow("get-full-tiktok-url/64KiB+1") << QByteArray("get-full-tiktok-url") << qint64(kJsonBound + 1);
        QTest::newRow("get-full-tiktok-url/1GiB") << QByteArray("get-full-tiktok-url") << (qint64(1) << 30);
        QTest::newRow("get-video-status/64KiB+1") << QByteArray("get-video-status") << qint64(kJsonBound + 1);
        QTest::newRow("tus-patch/Upload-Length+1") << QByteArray("tus-patch") << qint64(101);
        QTest::newRow("tus-patch/1GiB") << QByteArray("tus-patch") << (qint64(1) << 30);
        QTest::newRow("upload-video-creation/Upload-Length+1") << QByteArray("upload-video-creation") << qint64(101);
    }

    void overBoundIs413FromTheHead()
    {
        QFETCH(QByteArray, endpoint);
        QFETCH(qint64, length);
        QString why;
        QByteArray method = "POST", head;
        const Headers cl{{"Content-Length", QByteArray::number(length)}};
        if (endpoint == "upload-image") {
            head = request(method, "/api/v0/upload-image", Headers{{"Content-Type", "multipart/form-data; boundary=xyz"}} + cl);
        } else if (endpoint == "get-full-tiktok-url") {
            head = request(method, "/api/v0/get-full-tiktok-url", Headers{{"Content-Type", "application/json"}} + cl);
        } else if (endpoint == "get-video-status") {
            method = "GET";
            head = request(method, statusPath("0123456789abcdef0123456789abcdef"), cl);
        } else if (endpoint == "tus-patch") {
            const auto u = createUpload(100, &why);
            QVERIFY2(u, qPrintable(why));
            method = "PATCH";
            head = request(method, u->tusPath, Headers{{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", "0"}, {"Content-Type", kOffsetType}} + cl);
        } else {
            head = request(method, "/api/v0/upload-video",
                           Headers{{"Tus-Resumable", "1.0.0"}, {"Upload-Length", "100"}, {"Content-Type", kOffsetType}} + cl);
        }
        RawClient c;
        QVERIFY(c.connectTo(m_host->port()));
        QVERIFY(c.send(head).isEmpty()); // the head only: no body byte is ever sent
        const auto a = c.read(method, &why);
        QVERIFY2(a, qPrintable(QStringLiteral("no answer to the head alone (Content-Length %1): %2").arg(length).arg(why)));
        QVERIFY2(a->status == 413, qPrintable(QStringLiteral("expected 413 from the head, got %1").arg(QString::fromLatin1(a->brief()))));
        const auto peer = c.waitForClose();
        QVERIFY2(peer == RawClient::Peer::Closed || peer == RawClient::Peer::Reset,
                 qPrintable(QStringLiteral("after the 413 (body unsent) the connection is %1, expected closed").arg(QLatin1String(peerName(peer)))));
    }

    // Chunked request bodies on a JSON endpoint are read like Content-Length ones
    // (RFC 9112 §7.1: an HTTP/1.1 server must understand chunked): the answer to a
    // chunked body equals the answer to the same bytes with a Content-Length, and
    // the connection stays usable after it. Chunk extensions are ignored and
    // trailer fields skipped, as §7.1.1 and §7.1.2 say.
    void chunkedJsonBodyIsReadLikeContentLength_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QByteArray>("encoded");
        const QByteArray bad = "{not json";
        const QByteArray id = "{\"TikTokShortVideoID\":\"x\"}";
        QTest::newRow("malformed-json/one-chunk") << bad << chunked(bad, 1);
        QTest::newRow("bad-id/one-chunk") << id << chunked(id, 1);
        QTest::newRow("bad-id/byte-per-chunk") << id << chunked(id, int(id.size()));
        QTest::newRow("bad-id/extension-and-trailer")
            << id << QByteArray("A;name=value\r\n" + id.left(10) + "\r\n" + QByteArray::number(id.size() - 10, 16) + "\r\n"
                                + id.mid(10) + "\r\n0\r\nX-Trailer: yes\r\n\r\n");
        QTest::newRow("bad-id/uppercase-hex-size") << id << QByteArray(QByteArray::number(id.size(), 16).toUpper() + "\r\n" + id + "\r\n0\r\n\r\n");
    }

    void chunkedJsonBodyIsReadLikeContentLength()
    {
        QFETCH(QByteArray, body);
        QFETCH(QByteArray, encoded);
        QString why;
        const QByteArray target = "/api/v0/get-full-tiktok-url";
        const auto reference = exchange("POST", request("POST", target, {{"Content-Type", "application/json"},
                                                                        {"Content-Length", QByteArray::number(body.size())}}, body), &why);
        QVERIFY2(reference, qPrintable(QStringLiteral("the Content-Length reference: ") + why));
        RawClient c;
        QVERIFY(c.connectTo(m_host->port()));
        QVERIFY(c.send(request("POST", target, {{"Content-Type", "application/json"}, {"Transfer-Encoding", "chunked"}}, encoded)).isEmpty());
        const auto a = c.read("POST", &why);
        QVERIFY2(a, qPrintable(QStringLiteral("no answer to the chunked body: ") + why));
        QVERIFY2(a->status == reference->status && a->body == reference->body,
                 qPrintable(QStringLiteral("chunked body answered %1; the same body with Content-Length answered %2")
                                .arg(QString::fromLatin1(a->brief()), QString::fromLatin1(reference->brief()))));
        // The chunked framing ended where the body did: the next request is read cleanly.
        QVERIFY(c.send(request("GET", "/api/v0/get-video-status/notanid")).isEmpty());
        const auto next = c.read("GET", &why);
        QVERIFY2(next, qPrintable(QStringLiteral("after the chunked request, the next one on the connection: ") + why));
        QVERIFY2(next->status == 400, qPrintable(QStringLiteral("next request after the chunked one answered %1").arg(QString::fromLatin1(next->brief()))));
    }

    // The JSON bound holds for chunked bodies too, though it can only be seen while reading.
    void chunkedJsonBodyOverTheBoundIs413()
    {
        const QByteArray big(int(kJsonBound) + 4096, 'x');
        RawClient c;
        QVERIFY(c.connectTo(m_host->port()));
        QVERIFY(c.send(request("POST", "/api/v0/get-full-tiktok-url", {{"Content-Type", "application/json"}, {"Transfer-Encoding", "chunked"}},
                               chunked(big, 16))).isEmpty());
        QString why;
        const auto a = c.read("POST", &why);
        QVERIFY2(a, qPrintable(QStringLiteral("no answer to a %1-byte chunked JSON body: %2").arg(big.size()).arg(why)));
        QVERIFY2(a->status == 413, qPrintable(QStringLiteral("expected 413, got %1").arg(QString::fromLatin1(a->brief()))));
    }

    // Assumption (what the host does today, and the spec does not ask for more): a
    // tus PATCH must say its length up front. tus 1.0.0 lets a server require
    // Content-Length for PATCH, and the host needs the length to check it against
    // Upload-Length before writing, so chunked is refused with 411 Length Required.
    void chunkedTusPatchIs411()
    {
        QString why;
        const auto u = createUpload(100, &why);
        QVERIFY2(u, qPrintable(why));
        const QByteArray bytes = request("PATCH", u->tusPath, {{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", "0"}, {"Content-Type", kOffsetType},
                                                              {"Transfer-Encoding", "chunked"}}, chunked("hello", 1));
        const auto a = exchange("PATCH", bytes, &why);
        QVERIFY2(a, qPrintable(why));
        QVERIFY2(a->status == 411, qPrintable(QStringLiteral("expected 411, got %1").arg(QString::fromLatin1(a->brief()))));
        // Nothing was written.
        const auto h = exchange("HEAD", request("HEAD", u->tusPath, {{"Tus-Resumable", "1.0.0"}}), &why);
        QVERIFY2(h, qPrintable(why));
        QCOMPARE(h->header("upload-offset"), QByteArray("0"));
    }

    // Transfer-Encoding and Content-Length together is the request-smuggling shape
    // (RFC 9112 §6.3): a careful server refuses it with 400, or reads the body as
    // chunked and closes the connection after answering. Either way it closes.
    void chunkedWithContentLengthIsRefusedOrClosed()
    {
        const QByteArray body = "{\"TikTokShortVideoID\":\"x\"}";
        QString why;
        const auto reference = exchange("POST", request("POST", "/api/v0/get-full-tiktok-url", {{"Content-Type", "application/json"},
                                                        {"Content-Length", QByteArray::number(body.size())}}, body), &why);
        QVERIFY2(reference, qPrintable(why));
        RawClient c;
        QVERIFY(c.connectTo(m_host->port()));
        QVERIFY(c.send(request("POST", "/api/v0/get-full-tiktok-url", {{"Content-Type", "application/json"}, {"Content-Length", "5"},
                                                                       {"Transfer-Encoding", "chunked"}}, chunked(body, 2))).isEmpty());
        const auto a = c.read("POST", &why);
        QVERIFY2(a, qPrintable(why));
        QVERIFY2(a->status == 400 || (a->status == reference->status && a->body == reference->body),
                 qPrintable(QStringLiteral("expected 400 or the chunked reading (%1), got %2").arg(QString::fromLatin1(reference->brief()), QString::fromLatin1(a->brief()))));
        const auto peer = c.waitForClose();
        QVERIFY2(peer == RawClient::Peer::Closed || peer == RawClient::Peer::Reset,
                 qPrintable(QStringLiteral("after a request with both Transfer-Encoding and Content-Length the connection is %1, expected closed").arg(QLatin1String(peerName(peer)))));
    }

    // Expect: 100-continue: the server says 100 Continue after the head (before any
    // body byte), then gives the final answer once the body has come.
    void expectContinueThenFinalAnswer_data()
    {
        QTest::addColumn<QByteArray>("endpoint");
        QTest::newRow("upload-image") << QByteArray("upload-image");
        QTest::newRow("tus-patch") << QByteArray("tus-patch");
        QTest::newRow("get-full-tiktok-url") << QByteArray("get-full-tiktok-url");
    }

    void expectContinueThenFinalAnswer()
    {
        QFETCH(QByteArray, endpoint);
        QString why;
        QByteArray method = "POST", target, body;
        Headers h;
        int finalStatus = 200;
        if (endpoint == "upload-image") {
            QByteArray type;
            body = imageForm(&type);
            target = "/api/v0/upload-image";
            h = {{"Content-Type", type}};
        } else if (endpoint == "tus-patch") {
            body = QByteArray(4000, 'v');
            const auto u = createUpload(body.size(), &why);
            QVERIFY2(u, qPrintable(why));
            method = "PATCH";
            target = u->tusPath;
            h = {{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", "0"}, {"Content-Type", kOffsetType}};
            finalStatus = 204;
        } else {
            body = "{\"TikTokShortVideoID\":\"x\"}";
            target = "/api/v0/get-full-tiktok-url";
            h = {{"Content-Type", "application/json"}};
            finalStatus = 400;
        }
        h += Headers{{"Content-Length", QByteArray::number(body.size())}, {"Expect", "100-continue"}};
        RawClient c;
        QVERIFY(c.connectTo(m_host->port()));
        QVERIFY(c.send(request(method, target, h)).isEmpty());
        const auto interim = c.read(method, &why);
        QVERIFY2(interim, qPrintable(QStringLiteral("nothing after the head with Expect: 100-continue: ") + why));
        QVERIFY2(interim->status == 100, qPrintable(QStringLiteral("expected HTTP/1.1 100 Continue before the body, got %1").arg(QString::fromLatin1(interim->brief()))));
        QVERIFY(c.send(body).isEmpty());
        const auto a = c.read(method, &why);
        QVERIFY2(a, qPrintable(QStringLiteral("no final answer after the body: ") + why));
        QVERIFY2(a->status == finalStatus, qPrintable(QStringLiteral("final answer: expected %1, got %2").arg(finalStatus).arg(QString::fromLatin1(a->brief()))));
        if (endpoint == "upload-image")
            QVERIFY2(QJsonDocument::fromJson(a->body).object().value(QStringLiteral("ImageURL")).toString().endsWith(QLatin1String(".webp")),
                     qPrintable(QString::fromLatin1(a->body)));
        if (endpoint == "tus-patch")
            QCOMPARE(a->header("upload-offset"), QByteArray::number(body.size()));
    }

    // With Expect and a body over the bound, the final 413 comes instead of 100.
    void expectContinueOverBoundGets413Instead_data()
    {
        QTest::addColumn<QByteArray>("endpoint");
        QTest::newRow("upload-image") << QByteArray("upload-image");
        QTest::newRow("tus-patch") << QByteArray("tus-patch");
        QTest::newRow("get-full-tiktok-url") << QByteArray("get-full-tiktok-url");
    }

    void expectContinueOverBoundGets413Instead()
    {
        QFETCH(QByteArray, endpoint);
        QString why;
        QByteArray method = "POST", head;
        const Headers expect{{"Expect", "100-continue"}};
        if (endpoint == "upload-image") {
            head = request(method, "/api/v0/upload-image", Headers{{"Content-Type", "multipart/form-data; boundary=xyz"},
                                                                   {"Content-Length", QByteArray::number(kImageBound + 1000)}} + expect);
        } else if (endpoint == "tus-patch") {
            const auto u = createUpload(100, &why);
            QVERIFY2(u, qPrintable(why));
            method = "PATCH";
            head = request(method, u->tusPath, Headers{{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", "0"}, {"Content-Type", kOffsetType},
                                                       {"Content-Length", "5000"}} + expect);
        } else {
            head = request(method, "/api/v0/get-full-tiktok-url", Headers{{"Content-Type", "application/json"},
                                                                          {"Content-Length", QByteArray::number(kJsonBound + 1)}} + expect);
        }
        RawClient c;
        QVERIFY(c.connectTo(m_host->port()));
        QVERIFY(c.send(head).isEmpty());
        const auto a = c.read(method, &why);
        QVERIFY2(a, qPrintable(QStringLiteral("no answer to the over-bound head with Expect: ") + why));
        QVERIFY2(a->status != 100, "the server asked for a body it will refuse (100 Continue before a 413)");
        QVERIFY2(a->status == 413, qPrintable(QStringLiteral("expected 413, got %1").arg(QString::fromLatin1(a->brief()))));
    }

    // HEAD: the GET's headers (Content-Length included), no body, and the
    // connection carries on (the next answer starts right after the head).
    void headHasHeadersButNoBody_data()
    {
        QTest::addColumn<QByteArray>("endpoint");
        QTest::newRow("get-video-status") << QByteArray("get-video-status");
        QTest::newRow("videos") << QByteArray("videos");
    }

    void headHasHeadersButNoBody()
    {
        QFETCH(QByteArray, endpoint);
        QString why;
        QVERIFY2(readyVideo(&why), qPrintable(why));
        const QByteArray target = endpoint == "videos" ? "/videos/" + m_videoId.toLatin1() : statusPath(m_videoId.toLatin1());
        const auto get = exchange("GET", request("GET", target), &why);
        QVERIFY2(get && get->status == 200, qPrintable(QStringLiteral("GET %1: %2").arg(QString::fromLatin1(target), get ? QString::fromLatin1(get->brief()) : why)));

        RawClient c;
        QVERIFY(c.connectTo(m_host->port()));
        QVERIFY(c.send(request("HEAD", target)).isEmpty());
        const auto head = c.read("HEAD", &why);
        QVERIFY2(head, qPrintable(QStringLiteral("HEAD: ") + why));
        QVERIFY2(head->status == 200, qPrintable(QStringLiteral("HEAD %1: expected 200, got %2").arg(QString::fromLatin1(target), QString::fromLatin1(head->brief()))));
        QVERIFY2(head->header("content-length") == QByteArray::number(get->body.size()),
                 qPrintable(QStringLiteral("HEAD Content-Length \"%1\", GET's body is %2 bytes").arg(QString::fromLatin1(head->header("content-length"))).arg(get->body.size())));
        QCOMPARE(head->header("content-type"), get->header("content-type"));
        QVERIFY2(!head->saysClose(), "the HEAD answer closes a kept-alive connection");
        // If a body had followed the HEAD answer, this would not parse as a status line.
        QVERIFY(c.send(request("GET", target, {{"Range", "bytes=0-3"}})).isEmpty());
        const auto next = c.read("GET", &why);
        QVERIFY2(next, qPrintable(QStringLiteral("the request after HEAD on the same connection: ") + why));
        QVERIFY2(next->status == 200 || next->status == 206, qPrintable(QString::fromLatin1(next->brief())));
    }

    void rangeOnVideos_data()
    {
        QTest::addColumn<QByteArray>("range"); // empty: no Range header
        QTest::addColumn<int>("status");
        QTest::addColumn<qint64>("first"); // -1: from the end (suffix length in `last`)
        QTest::addColumn<qint64>("last");  // -1: to the end
        QTest::newRow("none") << QByteArray() << 200 << qint64(0) << qint64(-1);
        QTest::newRow("single 0-99") << QByteArray("bytes=0-99") << 206 << qint64(0) << qint64(99);
        QTest::newRow("suffix -100") << QByteArray("bytes=-100") << 206 << qint64(-1) << qint64(100);
        QTest::newRow("open 100-") << QByteArray("bytes=100-") << 206 << qint64(100) << qint64(-1);
        QTest::newRow("unsatisfiable 999999999-") << QByteArray("bytes=999999999-") << 416 << qint64(0) << qint64(0);
    }

    void rangeOnVideos()
    {
        QFETCH(QByteArray, range);
        QFETCH(int, status);
        QFETCH(qint64, first);
        QFETCH(qint64, last);
        QString why;
        QVERIFY2(readyVideo(&why), qPrintable(why));
        const qint64 size = m_videoBytes.size();
        Headers h;
        if (!range.isEmpty())
            h.emplaceBack("Range", range);
        const auto a = exchange("GET", request("GET", "/videos/" + m_videoId.toLatin1(), h), &why);
        QVERIFY2(a, qPrintable(why));
        QVERIFY2(a->status == status, qPrintable(QStringLiteral("Range \"%1\": expected %2, got %3").arg(QString::fromLatin1(range)).arg(status).arg(QString::fromLatin1(a->brief()))));
        if (status == 416) {
            QCOMPARE(a->header("content-range"), "bytes */" + QByteArray::number(size));
            return;
        }
        if (first < 0) {
            first = size - last;
            last = size - 1;
        }
        if (last < 0)
            last = size - 1;
        if (status == 206)
            QCOMPARE(a->header("content-range"), "bytes " + QByteArray::number(first) + '-' + QByteArray::number(last) + '/' + QByteArray::number(size));
        else
            QCOMPARE(a->header("accept-ranges"), QByteArray("bytes"));
        QCOMPARE(a->body.size(), qsizetype(last - first + 1));
        QVERIFY2(a->body == m_videoBytes.mid(first, last - first + 1), "the bytes served are not the video's bytes at that range");
    }

    // The same ranges one after another on one kept-alive connection.
    void rangesOnOneKeptAliveConnection()
    {
        QString why;
        QVERIFY2(readyVideo(&why), qPrintable(why));
        const QByteArray target = "/videos/" + m_videoId.toLatin1();
        const QList<QPair<QByteArray, int>> steps{{"bytes=0-99", 206}, {"bytes=999999999-", 416}, {"bytes=-100", 206},
                                                  {"bytes=100-", 206}, {"bytes=0-0", 206}};
        RawClient c;
        QVERIFY(c.connectTo(m_host->port()));
        for (const auto &[range, status] : steps) {
            QVERIFY(c.send(request("GET", target, {{"Range", range}})).isEmpty());
            const auto a = c.read("GET", &why);
            QVERIFY2(a, qPrintable(QStringLiteral("Range %1 on the kept-alive connection: %2").arg(QString::fromLatin1(range), why)));
            QVERIFY2(a->status == status, qPrintable(QStringLiteral("Range %1: expected %2, got %3").arg(QString::fromLatin1(range)).arg(status).arg(QString::fromLatin1(a->brief()))));
        }
    }

    // "Connection: close" (HTTP/1.1) and HTTP/1.0 without keep-alive: the server
    // answers, then closes the connection itself.
    void closeIsHonoured_data()
    {
        QTest::addColumn<QByteArray>("endpoint");
        QTest::addColumn<QByteArray>("version");
        for (const QByteArray &version : {QByteArray("HTTP/1.1"), QByteArray("HTTP/1.0")}) {
            for (const QByteArray &endpoint : {QByteArray("get-video-status"), QByteArray("tus-head"), QByteArray("options"),
                                              QByteArray("get-full-tiktok-url"), QByteArray("videos-range")}) {
                QTest::addRow("%s/%s", version == "HTTP/1.1" ? "connection-close" : "http-1.0", endpoint.constData()) << endpoint << version;
            }
        }
    }

    void closeIsHonoured()
    {
        QFETCH(QByteArray, endpoint);
        QFETCH(QByteArray, version);
        QString why;
        const auto u = createUpload(10, &why);
        QVERIFY2(u, qPrintable(why));
        Headers h;
        if (version == "HTTP/1.1")
            h.emplaceBack("Connection", "close");
        QByteArray method = "GET", bytes;
        int expected = 200;
        if (endpoint == "get-video-status") {
            bytes = request(method, statusPath(u->id), h, {}, version);
        } else if (endpoint == "tus-head") {
            method = "HEAD";
            bytes = request(method, u->tusPath, h + Headers{{"Tus-Resumable", "1.0.0"}}, {}, version);
        } else if (endpoint == "options") {
            method = "OPTIONS";
            expected = 204;
            bytes = request(method, "/api/v0/upload-video", h, {}, version);
        } else if (endpoint == "get-full-tiktok-url") {
            method = "POST";
            expected = 400;
            bytes = request(method, "/api/v0/get-full-tiktok-url", h + Headers{{"Content-Type", "application/json"}, {"Content-Length", "9"}},
                            "{not json", version);
        } else {
            QVERIFY2(readyVideo(&why), qPrintable(why));
            expected = 206;
            bytes = request(method, "/videos/" + m_videoId.toLatin1(), h + Headers{{"Range", "bytes=0-9"}}, {}, version);
        }
        RawClient c;
        QVERIFY(c.connectTo(m_host->port()));
        QVERIFY(c.send(bytes).isEmpty());
        const auto a = c.read(method, &why);
        QVERIFY2(a, qPrintable(why));
        QVERIFY2(a->status == expected || (method == "OPTIONS" && a->status == 200),
                 qPrintable(QStringLiteral("expected %1, got %2").arg(expected).arg(QString::fromLatin1(a->brief()))));
        const auto peer = c.waitForClose();
        QVERIFY2(peer == RawClient::Peer::Closed,
                 qPrintable(QStringLiteral("after the answer the connection is %1; the server should have closed it").arg(QLatin1String(peerName(peer)))));
    }
};

QTEST_MAIN(TestFrontDoor)
#include "tst_front_door.moc"
