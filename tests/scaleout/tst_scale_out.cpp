// Issue 16: two `deso-media --serve` instances on one S3 bucket (s3rver behind
// its SigV4-checking launcher) behind a round-robin forwarder (CuttingProxy with
// two upstreams). A tus upload whose PATCHes alternate between the instances,
// one cut mid-body and resumed on the other, ends byte-identical in the bucket;
// a PATCH on one instance while another streams on the other is refused (423);
// a DELETE through one removes the upload for both;
// an image uploaded through one is served by the other (Range too); a video
// processed by one has its status, playlist and poster answered by the other;
// one instance SIGKILLed mid-upload and the real client (deso-media
// upload-video) finishes on the other.
#include "cuttingproxy.h"
#include "eventwait.h"
#include "processrun.h"
#include "s3rverprocess.h"
#include "syntheticclip.h"
#include "testfiles.h"

#include "identity/jwt.h"
#include "identity/keys.h"
#include "nodetest/sampleclip.h"
#include "s3/s3client.h"

#include <QBuffer>
#include <QHttpMultiPart>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>

using namespace deso;

namespace {

constexpr char kBucket[] = "media";
constexpr char kPrefix[] = "scale";

struct Reply {
    int status = 0;
    QByteArray body;
    QHash<QByteArray, QByteArray> headers; // lower-case names
    QByteArray header(const QByteArray &name) const { return headers.value(name.toLower()); }
};

// One request on a connection of its own: through the forwarder, each request
// goes to the next instance.
Reply send(const QByteArray &method, const QUrl &url, const QList<QPair<QByteArray, QByteArray>> &headers = {},
           const QByteArray &body = {})
{
    QNetworkAccessManager nam;
    QNetworkRequest request(url);
    for (const auto &h : headers)
        request.setRawHeader(h.first, h.second);
    QNetworkReply *reply = method == "GET" ? nam.get(request)
                         : method == "HEAD" ? nam.head(request)
                                            : nam.sendCustomRequest(request, method, body);
    waitUntil([&] { return reply->isFinished(); }, 30000);
    Reply r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.body = reply->readAll();
    for (const auto &pair : reply->rawHeaderPairs())
        r.headers.insert(pair.first.toLower(), pair.second);
    delete reply;
    return r;
}

const QList<QPair<QByteArray, QByteArray>> kTus{{"Tus-Resumable", "1.0.0"}};

// waitUntil for predicates that ask the bucket (a BlockingS3Client spins an event loop
// of its own, which must not run inside waitUntil's timer, re-entered by it).
template <typename Predicate>
bool pollUntil(Predicate predicate, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!predicate()) {
        if (deadline.hasExpired())
            return false;
        QTest::qWait(20);
    }
    return true;
}

Reply patch(const QUrl &url, qint64 offset, const QByteArray &bytes)
{
    return send("PATCH", url,
                {{"Tus-Resumable", "1.0.0"}, {"Content-Type", "application/offset+octet-stream"},
                 {"Upload-Offset", QByteArray::number(offset)}},
                bytes);
}

} // namespace

class TestScaleOut : public QObject {
    Q_OBJECT

    struct Instance {
        QProcess process;
        QUrl base;
        QByteArray out;
        quint16 port() const { return quint16(base.port()); }
        // The request log so far.
        QByteArray log()
        {
            out += process.readAllStandardOutput();
            return out;
        }
    };

    QTemporaryDir m_dir;
    testcommon::S3rverProcess m_s3;
    Instance m_a;
    Instance m_b;
    CuttingProxy m_proxy;
    CuttingProxy m_slowBucket; // s3rver as instance C sees it (held, counted)
    Instance m_c;
    bool m_running = false;

    QProcessEnvironment awsEnvironment() const
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("AWS_ACCESS_KEY_ID"), QString::fromLatin1(testcommon::S3rverProcess::kAccessKeyId));
        env.insert(QStringLiteral("AWS_SECRET_ACCESS_KEY"), QString::fromLatin1(testcommon::S3rverProcess::kSecretAccessKey));
        env.insert(QStringLiteral("AWS_REGION"), QStringLiteral("us-east-1"));
        env.insert(QStringLiteral("HOME"), m_dir.path()); // no ~/.aws of the machine's user
        env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("xdg-data")));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("xdg-config")));
        return env;
    }

    // `endpoint`: the bucket's address (s3rver's unless given).
    bool startInstance(Instance &instance, const QString &name, const QUrl &endpoint = {})
    {
        instance.process.setProcessEnvironment(awsEnvironment());
        instance.process.setProcessChannelMode(QProcess::MergedChannels); // warnings in log() too
        instance.process.start(QStringLiteral(DESO_MEDIA_BIN),
                               {QStringLiteral("--serve"), QStringLiteral("--port"), QStringLiteral("0"),
                                QStringLiteral("--data-dir"), m_dir.filePath(name),
                                QStringLiteral("--storage"), QStringLiteral("s3://%1/%2").arg(kBucket, kPrefix),
                                QStringLiteral("--s3-endpoint"), (endpoint.isEmpty() ? m_s3.endpoint() : endpoint).toString()});
        if (!instance.process.waitForStarted(10000))
            return false;
        static const QRegularExpression re(QStringLiteral("listening on (http://127\\.0\\.0\\.1:\\d+)"));
        return waitUntil([&] {
            const auto m = re.match(QString::fromUtf8(instance.log()));
            if (m.hasMatch())
                instance.base = QUrl(m.captured(1));
            return m.hasMatch() || instance.process.state() == QProcess::NotRunning;
        }, 20000) && instance.base.isValid();
    }

    s3::S3Config bucketConfig() const
    {
        s3::S3Config c;
        c.endpoint = m_s3.endpoint();
        c.bucket = QString::fromLatin1(kBucket);
        c.keyPrefix = QString::fromLatin1(kPrefix);
        c.credentials.accessKeyId = QString::fromLatin1(testcommon::S3rverProcess::kAccessKeyId);
        c.credentials.secretAccessKey = QString::fromLatin1(testcommon::S3rverProcess::kSecretAccessKey);
        // s3rver rewrites an object in place: a GET meeting the write may announce more
        // bytes than it sends, and would wait S3Client's default 30 s for them.
        c.timeoutMs = 3000;
        return c;
    }

    // The bytes of upload `id` as the bucket holds them, by their SHA-256.
    QByteArray bucketSha256(const QString &id)
    {
        s3::BlockingS3Client client(bucketConfig());
        const QString path = m_dir.filePath(QStringLiteral("fetched-") + id);
        auto got = client.getObjectToFile(QStringLiteral("uploads/%1/data").arg(id), path);
        if (!got.ok()) {
            qWarning() << got.error().toString();
            return {};
        }
        const QByteArray sha = testcommon::sha256Of(path);
        QFile::remove(path);
        return sha;
    }

    QUrl proxied(const QString &path) const { return m_proxy.url().resolved(QUrl(path)); }
    static QUrl onInstance(const Instance &instance, const QUrl &url) { return instance.base.resolved(QUrl(url.path())); }

    static int count(const QByteArray &log, const QByteArray &needle)
    {
        int n = 0;
        for (qsizetype at = log.indexOf(needle); at >= 0; at = log.indexOf(needle, at + 1))
            ++n;
        return n;
    }

    // PATCHes `length` bytes of `whole` from `offset` until a 204, re-reading the
    // offset with HEAD after a refusal, as a tus client does.
    qint64 patchUntilAccepted(const QUrl &tusUrl, const QByteArray &whole, qint64 offset, qint64 length)
    {
        for (int attempt = 0; attempt < 40; ++attempt) {
            const Reply r = patch(tusUrl, offset, whole.mid(offset, length));
            if (r.status == 204)
                return r.header("Upload-Offset").toLongLong();
            // 409/423 while the other instance still holds the upload; 0 when the
            // refusal came before the body was sent and closed the connection.
            if (r.status != 409 && r.status != 423 && r.status != 0) {
                qWarning() << "PATCH answered" << r.status << r.body;
                return -1;
            }
            QTest::qWait(500);
            const Reply head = send("HEAD", onInstance(m_b, tusUrl), kTus);
            if (head.status != 200)
                return -1;
            const qint64 now = head.header("Upload-Offset").toLongLong();
            length -= now - offset;
            offset = now;
        }
        return -1;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QString why;
        if (!m_s3.start({QString::fromLatin1(kBucket)}, &why))
            QSKIP(qPrintable(QStringLiteral("s3rver cannot run here: %1").arg(why)));
        QVERIFY2(startInstance(m_a, QStringLiteral("a")), m_a.log().constData());
        QVERIFY2(startInstance(m_b, QStringLiteral("b")), m_b.log().constData());
        QVERIFY(m_proxy.startRoundRobin({m_a.port(), m_b.port()}));
        m_running = true;
    }

    void cleanupTestCase()
    {
        if (qEnvironmentVariableIsSet("DESO_SCALE_OUT_LOGS"))
            qInfo().noquote() << "A:\n" << m_a.log() << "\nB:\n" << m_b.log(); // what the instances said
        for (Instance *i : {&m_a, &m_b, &m_c}) {
            if (i->process.state() != QProcess::NotRunning) {
                i->process.terminate();
                i->process.waitForFinished(10000);
            }
        }
    }

    // Bad flags and a refused key stop the host with a sentence; the secret is never printed.
    void storageFlagsAndCredentialsAreChecked()
    {
        const auto serve = [&](const QStringList &args, const QProcessEnvironment &env) {
            return testcommon::runProcess(QStringLiteral(DESO_MEDIA_BIN),
                                          QStringList{QStringLiteral("--serve"), QStringLiteral("--port"), QStringLiteral("0"),
                                                      QStringLiteral("--data-dir"), m_dir.filePath(QStringLiteral("refused"))}
                                              + args,
                                          env, 20000);
        };
        auto run = serve({QStringLiteral("--storage"), QStringLiteral("ftp://media")}, awsEnvironment());
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(QStringLiteral("dir:PATH or s3://BUCKET")), qPrintable(run.err));
        run = serve({QStringLiteral("--storage"), QStringLiteral("s3://media/x"), QStringLiteral("--s3-endpoint"),
                     QStringLiteral("not a url")}, awsEnvironment());
        QCOMPARE(run.exitCode, 2);

        QProcessEnvironment wrongKey = awsEnvironment();
        const QString secret = QStringLiteral("not-the-secret-4242");
        wrongKey.insert(QStringLiteral("AWS_SECRET_ACCESS_KEY"), secret);
        run = serve({QStringLiteral("--storage"), QStringLiteral("s3://media/x"), QStringLiteral("--s3-endpoint"),
                     m_s3.endpoint().toString()}, wrongKey);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(QStringLiteral("Cannot use the bucket")), qPrintable(run.err));
        QVERIFY(!(run.out + run.err).contains(secret));
        // The running instances name their bucket, never the key.
        QVERIFY(m_a.log().contains("data in s3://media/scale/"));
        QVERIFY(!m_a.log().contains(testcommon::S3rverProcess::kSecretAccessKey));
    }

    void tusPatchesAlternateAndACutOneResumesOnTheOther()
    {
        const qint64 length = 23 * testcommon::MiB + 12345; // parts of 8 MiB, a tail, and an odd end
        QByteArray bytes(length, Qt::Uninitialized);
        QRandomGenerator gen(16);
        gen.fillRange(reinterpret_cast<quint32 *>(bytes.data()), bytes.size() / 4);
        const QByteArray expected = QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();

        const qint64 patchesA = count(m_a.log(), "PATCH /tus/");
        const qint64 patchesB = count(m_b.log(), "PATCH /tus/");
        const Reply created = send("POST", proxied(QStringLiteral("/api/v0/upload-video")),
                                   {{"Tus-Resumable", "1.0.0"}, {"Upload-Length", QByteArray::number(length)},
                                    {"Upload-Metadata", "filename " + QByteArray("scale.bin").toBase64()}});
        QVERIFY2(created.status == 200, created.body.constData());
        const QUrl tusUrl(QString::fromLatin1(created.header("Location")));
        QCOMPARE(tusUrl.port(), int(m_proxy.port()));
        const QString id = QString::fromLatin1(created.header("Stream-Media-Id"));

        // 3 MiB PATCHes: never a whole part, so every one starts from the tail the
        // previous one (on the other instance) left in the bucket.
        const qint64 chunk = 3 * testcommon::MiB;
        qint64 offset = 0;
        for (int i = 0; i < 4; ++i) {
            const Reply r = patch(tusUrl, offset, bytes.mid(offset, chunk));
            QCOMPARE(r.status, 204);
            offset += chunk;
            QCOMPARE(r.header("Upload-Offset").toLongLong(), offset);
            // Both instances answer HEAD with the recorded offset (asked directly, so
            // that only PATCHes take turns at the forwarder).
            for (Instance *instance : {&m_a, &m_b}) {
                const Reply head = send("HEAD", onInstance(*instance, tusUrl), kTus);
                QCOMPARE(head.status, 200);
                QCOMPARE(head.header("Upload-Offset").toLongLong(), offset);
                QCOMPARE(head.header("Upload-Length").toLongLong(), length);
            }
        }

        // A PATCH cut after 5 MiB of its 7 MiB body: the instance keeps what arrived
        // (one part's worth reaches the bucket), and the other instance goes on from there.
        {
            const qint64 body = 7 * testcommon::MiB;
            QTcpSocket socket;
            socket.connectToHost(QHostAddress::LocalHost, m_proxy.port());
            QVERIFY(socket.waitForConnected(5000));
            socket.write("PATCH " + tusUrl.path().toLatin1() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
                         "Content-Type: application/offset+octet-stream\r\nUpload-Offset: " + QByteArray::number(offset)
                         + "\r\nContent-Length: " + QByteArray::number(body) + "\r\n\r\n");
            socket.write(bytes.mid(offset, 5 * testcommon::MiB));
            QVERIFY(waitUntil([&] { return socket.bytesToWrite() == 0; }, 10000));
            QTest::qWait(300);
            socket.abort();
        }
        qint64 resumed = -1;
        QVERIFY(waitUntil([&] {
            const Reply head = send("HEAD", onInstance(m_a, tusUrl), kTus);
            resumed = head.header("Upload-Offset").toLongLong();
            return head.status == 200 && resumed > offset;
        }, 15000));
        QVERIFY2(resumed <= offset + 5 * testcommon::MiB, qPrintable(QString::number(resumed)));
        offset = resumed;

        // The rest in 3 MiB PATCHes.
        while (offset < length) {
            const qint64 n = qMin(chunk, length - offset);
            const qint64 next = patchUntilAccepted(tusUrl, bytes, offset, n);
            QCOMPARE(next, offset + n);
            offset = next;
        }
        QCOMPARE(bucketSha256(id), expected);
        // Both instances took PATCHes.
        QVERIFY(waitUntil([&] {
            return count(m_a.log(), "PATCH /tus/") - patchesA >= 3 && count(m_b.log(), "PATCH /tus/") - patchesB >= 3;
        }, 5000));
        // The finished upload is complete for every instance.
        for (Instance *i : {&m_a, &m_b}) {
            const Reply head = send("HEAD", onInstance(*i, tusUrl), kTus);
            QCOMPARE(head.status, 200);
            QCOMPARE(head.header("Upload-Offset").toLongLong(), length);
        }
    }

    // While a PATCH streams into an upload on one instance, a PATCH to it on the
    // other is refused with 423 (the lease); once the first ends, the other goes on.
    // A DELETE on either removes the upload for both, objects included.
    void concurrentPatchesOnTwoInstancesAreRefusedAndDeleteIsShared()
    {
        const qint64 length = 6 * testcommon::MiB;
        QByteArray bytes(length, Qt::Uninitialized);
        QRandomGenerator gen(1616);
        gen.fillRange(reinterpret_cast<quint32 *>(bytes.data()), bytes.size() / 4);
        const Reply created = send("POST", m_a.base.resolved(QUrl(QStringLiteral("/api/v0/upload-video"))),
                                   {{"Tus-Resumable", "1.0.0"}, {"Upload-Length", QByteArray::number(length)}});
        QVERIFY2(created.status == 200, created.body.constData());
        const QUrl tusUrl(QString::fromLatin1(created.header("Location")));
        const QString id = QString::fromLatin1(created.header("Stream-Media-Id"));

        // A's PATCH: the head and 1 MiB of a 4 MiB body, then it waits.
        QTcpSocket slow;
        slow.connectToHost(QHostAddress::LocalHost, m_a.port());
        QVERIFY(slow.waitForConnected(5000));
        slow.write("PATCH " + tusUrl.path().toLatin1() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
                   "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: "
                   + QByteArray::number(4 * testcommon::MiB) + "\r\n\r\n");
        slow.write(bytes.left(testcommon::MiB));
        QVERIFY(waitUntil([&] { return slow.bytesToWrite() == 0; }, 10000));
        QTest::qWait(500); // A has taken the lease

        // (One byte: the refusal comes from the head, and a large body would still be on its way.)
        const Reply refused = patch(onInstance(m_b, tusUrl), 0, bytes.left(1));
        QVERIFY2(refused.status == 423, qPrintable(QString::number(refused.status) + QLatin1Char(' ') + QString::fromUtf8(refused.body)));
        // A's PATCH ends and is answered 204.
        QByteArray answer;
        connect(&slow, &QTcpSocket::readyRead, this, [&] { answer += slow.readAll(); });
        slow.write(bytes.mid(testcommon::MiB, 3 * testcommon::MiB));
        QVERIFY2(waitUntil([&] { return answer.contains("\r\n\r\n"); }, 15000), answer.constData());
        QVERIFY2(answer.startsWith("HTTP/1.1 204"), answer.constData());
        // Now B goes on from A's offset.
        QCOMPARE(patchUntilAccepted(onInstance(m_b, tusUrl), bytes, 4 * testcommon::MiB, 2 * testcommon::MiB), length);
        QCOMPARE(bucketSha256(id), QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex());

        // Termination: DELETE through A, gone for B, and from the bucket.
        const Reply deleted = send("DELETE", onInstance(m_a, tusUrl), kTus);
        QCOMPARE(deleted.status, 204);
        QCOMPARE(send("HEAD", onInstance(m_b, tusUrl), kTus).status, 404);
        // The finished upload's processing (on whichever instance took the last byte) may
        // save its record once more after the DELETE: that save sees the tombstone and takes
        // its record back, so the upload ends gone for both, status and bucket alike.
        deso::s3::BlockingS3Client client(bucketConfig());
        s3::ListOptions list;
        list.prefix = QStringLiteral("uploads/%1/").arg(id);
        int status = 0;
        QString leftKey;
        const bool gone = waitUntil([&] {
            status = send("GET", m_b.base.resolved(QUrl(QStringLiteral("/api/v0/get-video-status/") + id))).status;
            const auto left = client.listObjects(list);
            leftKey = !left.ok() ? left.error().message : left->list.objects.isEmpty() ? QString() : left->list.objects.value(0).key;
            return status == 404 && leftKey.isEmpty();
        }, 15000);
        QVERIFY2(gone, qPrintable(QStringLiteral("status %1, left in the bucket: %2").arg(status).arg(leftKey)));
    }

    void imageUploadedThroughOneIsServedByTheOther()
    {
        const identity::PrivateKey key = identity::PrivateKey::generate();
        QImage image(320, 200, QImage::Format_RGB32);
        image.fill(QColor(200, 80, 30));
        QByteArray png;
        QBuffer buffer(&png);
        buffer.open(QIODevice::WriteOnly);
        QVERIFY(image.save(&buffer, "PNG"));

        QNetworkAccessManager nam;
        auto *form = new QHttpMultiPart(QHttpMultiPart::FormDataType);
        const auto field = [&](const QByteArray &name, const QByteArray &value, const QByteArray &file = {}) {
            QHttpPart part;
            QByteArray disposition = "form-data; name=\"" + name + '"';
            if (!file.isEmpty()) {
                disposition += "; filename=\"" + file + '"';
                part.setHeader(QNetworkRequest::ContentTypeHeader, "image/png");
            }
            part.setHeader(QNetworkRequest::ContentDispositionHeader, disposition);
            part.setBody(value);
            form->append(part);
        };
        field("UserPublicKeyBase58Check", key.publicKey().toBase58Check(identity::Network::Mainnet).toLatin1());
        field("JWT", identity::signJwt(key).toLatin1());
        field("file", png, "a.png");
        QNetworkReply *reply = nam.post(QNetworkRequest(m_a.base.resolved(QUrl(QStringLiteral("/api/v0/upload-image")))), form);
        form->setParent(reply);
        QVERIFY(waitUntil([&] { return reply->isFinished(); }, 30000));
        const QByteArray answer = reply->readAll();
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        const QUrl imageUrl(QJsonDocument::fromJson(answer).object().value(QStringLiteral("ImageURL")).toString());
        QVERIFY2(imageUrl.path().startsWith(QLatin1String("/images/")), answer.constData());
        delete reply;

        const Reply fromA = send("GET", m_a.base.resolved(QUrl(imageUrl.path())));
        const Reply fromB = send("GET", m_b.base.resolved(QUrl(imageUrl.path())));
        QCOMPARE(fromA.status, 200);
        QCOMPARE(fromB.status, 200);
        QVERIFY(fromB.body.startsWith("RIFF"));
        QCOMPARE(fromB.body, fromA.body);
        QCOMPARE(fromB.header("Content-Type"), QByteArray("image/webp"));
        // Range passes through to the bucket.
        const Reply range = send("GET", m_b.base.resolved(QUrl(imageUrl.path())), {{"Range", "bytes=4-11"}});
        QCOMPARE(range.status, 206);
        QCOMPARE(range.body, fromA.body.mid(4, 8));
        QCOMPARE(range.header("Content-Range"), "bytes 4-11/" + QByteArray::number(fromA.body.size()));
        const Reply head = send("HEAD", m_b.base.resolved(QUrl(imageUrl.path())));
        QCOMPARE(head.status, 200);
        QCOMPARE(head.header("Content-Length").toLongLong(), fromA.body.size());
        QCOMPARE(send("GET", m_b.base.resolved(QUrl(QStringLiteral("/images/%1.webp").arg(QString(64, QLatin1Char('0')))))).status,
                 404);
    }

    void videoProcessedByOneIsAnsweredByTheOther()
    {
        const QString clip = m_dir.filePath(QStringLiteral("clip.mp4"));
        QVERIFY(nodetest::writeSampleClip(clip, 0).ok());
        QFile f(clip);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        const Reply created = send("POST", m_a.base.resolved(QUrl(QStringLiteral("/api/v0/upload-video"))),
                                   {{"Tus-Resumable", "1.0.0"}, {"Upload-Length", QByteArray::number(bytes.size())}});
        QVERIFY2(created.status == 200, created.body.constData());
        const QUrl tusUrl(QString::fromLatin1(created.header("Location")));
        const QString id = QString::fromLatin1(created.header("Stream-Media-Id"));
        QCOMPARE(patch(tusUrl, 0, bytes).status, 204);

        // Instance A processes it (it took the last byte); B answers the status.
        QJsonObject status;
        QVERIFY2(waitUntil([&] {
            const Reply r = send("GET", m_b.base.resolved(QUrl(QStringLiteral("/api/v0/get-video-status/") + id)));
            status = QJsonDocument::fromJson(r.body).object();
            return status.value(QStringLiteral("ReadyToStream")).toBool() || status.value(QStringLiteral("state")) == QLatin1String("error");
        }, 45000), QJsonDocument(status).toJson().constData());
        QVERIFY2(status.value(QStringLiteral("ReadyToStream")).toBool(), QJsonDocument(status).toJson().constData());
        QVERIFY(status.value(QStringLiteral("Duration")).toDouble() > 0);
        const QUrl playback(status.value(QStringLiteral("PlaybackURL")).toString());
        QCOMPARE(playback.port(), m_b.base.port());
        const Reply master = send("GET", playback);
        QCOMPARE(master.status, 200);
        QVERIFY(master.body.startsWith("#EXTM3U"));
        const Reply poster = send("GET", QUrl(status.value(QStringLiteral("ThumbnailURL")).toString()));
        QCOMPARE(poster.status, 200);
        QVERIFY(poster.body.startsWith("\xff\xd8"));
        const Reply mp4 = send("GET", QUrl(status.value(QStringLiteral("DownloadURL")).toString()), {{"Range", "bytes=0-7"}});
        QCOMPARE(mp4.status, 206);
        QCOMPARE(mp4.body.mid(4, 4), QByteArray("ftyp"));
        // A rung's playlist names segments that B serves too.
        const QString rung = QString::fromLatin1(master.body).split(QLatin1Char('\n')).filter(QStringLiteral(".m3u8")).value(0);
        QVERIFY(!rung.isEmpty());
        const Reply rungList = send("GET", playback.resolved(QUrl(rung)));
        QCOMPARE(rungList.status, 200);
        const QString segment = QString::fromLatin1(rungList.body).split(QLatin1Char('\n')).filter(QRegularExpression(QStringLiteral("^[^#].+"))).value(0);
        QVERIFY(!segment.isEmpty());
        QCOMPARE(send("GET", playback.resolved(QUrl(rung)).resolved(QUrl(segment))).status, 200);
    }

    // Issue 16: the server thread never waits for the bucket. An instance whose
    // bucket hangs (a proxy holding every byte) keeps answering what needs no
    // bucket call while a tus HEAD and a PATCH wait for theirs; once the bucket
    // answers, they do, and the PATCH's bytes are whole in the bucket.
    void aHangingBucketHoldsNoOtherRequest()
    {
        CuttingProxy &slowBucket = m_slowBucket;
        QVERIFY(slowBucket.start(m_s3.port()));
        Instance &c = m_c;
        QVERIFY2(startInstance(c, QStringLiteral("c"), slowBucket.url()), c.log().constData());
        const QUrl upload = c.base.resolved(QUrl(QStringLiteral("/api/v0/upload-video")));
        const qint64 length = 10 * testcommon::MiB; // one 8 MiB part and a tail
        QByteArray bytes(length, Qt::Uninitialized);
        QRandomGenerator gen(1616);
        gen.fillRange(reinterpret_cast<quint32 *>(bytes.data()), bytes.size() / 4);
        const Reply created = send("POST", upload, {{"Tus-Resumable", "1.0.0"}, {"Upload-Length", QByteArray::number(length)}});
        QVERIFY2(created.status == 200, created.body.constData());
        const QUrl tusUrl(QString::fromLatin1(created.header("Location")));
        QCOMPARE(tusUrl.port(), c.base.port());
        const QString id = QString::fromLatin1(created.header("Stream-Media-Id"));

        slowBucket.hold(true);
        QNetworkAccessManager nam;
        QNetworkRequest headRequest(tusUrl);
        headRequest.setRawHeader("Tus-Resumable", "1.0.0");
        QNetworkReply *head = nam.head(headRequest);
        QNetworkRequest patchRequest(tusUrl);
        patchRequest.setRawHeader("Tus-Resumable", "1.0.0");
        patchRequest.setRawHeader("Content-Type", "application/offset+octet-stream");
        patchRequest.setRawHeader("Upload-Offset", "0");
        QNetworkReply *patching = nam.sendCustomRequest(patchRequest, "PATCH", bytes);
        // They wait for the bucket now: a record read is held in the proxy.
        QVERIFY(waitUntil([&] { return slowBucket.heldBytes() > 0; }, 10000));
        QVERIFY(!head->isFinished() && !patching->isFinished());
        // Meanwhile the same instance answers, at once, what needs no bucket.
        const Reply options = send("OPTIONS", upload, kTus);
        QCOMPARE(options.status, 204);
        QCOMPARE(options.header("Tus-Version"), QByteArray("1.0.0"));
        const Reply badId = send("GET", c.base.resolved(QUrl(QStringLiteral("/api/v0/get-video-status/NOT-AN-ID"))));
        QCOMPARE(badId.status, 400);
        QVERIFY2(!head->isFinished() && !patching->isFinished(), "the bucket answered while held");

        slowBucket.hold(false);
        QVERIFY(waitUntil([&] { return head->isFinished() && patching->isFinished(); }, 60000));
        QCOMPARE(head->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        const int patchStatus = patching->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        QVERIFY2(patchStatus == 204, patching->readAll().constData());
        QCOMPARE(patching->rawHeader("Upload-Offset").toLongLong(), length);
        delete head;
        delete patching;
        QCOMPARE(bucketSha256(id), QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex());
        QVERIFY2(!c.log().contains("blocked the server thread"), c.log().constData());
    }

    // Issue 16: a GET of a stored object passes the bytes on as they come from S3
    // (a ranged GET), byte-exact for any range, without holding the object.
    void rangesAreStreamedFromTheBucket()
    {
        QVERIFY(m_c.process.state() == QProcess::Running); // on the proxied bucket (aHangingBucketHoldsNoOtherRequest)
        const qint64 size = 48 * testcommon::MiB + 4321;
        const QString file = m_dir.filePath(QStringLiteral("object.bin"));
        QVERIFY(testcommon::writeRandomFile(file, size, 4242));
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString name = QString::fromLatin1(testcommon::sha256Of(file)) + QStringLiteral(".webp");
        s3::BlockingS3Client bucket(bucketConfig());
        QVERIFY(bucket.putObjectFromFile(QStringLiteral("images/") + name, file).ok());
        const QUrl onA = m_a.base.resolved(QUrl(QStringLiteral("/images/") + name));
        const auto slice = [&](qint64 first, qint64 length) {
            f.seek(first);
            return f.read(length);
        };
        struct Case { QByteArray range; qint64 first; qint64 length; };
        for (const Case &k : {Case{"bytes=0-0", 0, 1}, Case{"bytes=100-1048675", 100, 1048576},
                              Case{"bytes=40000000-", 40000000, size - 40000000}, Case{"bytes=-1000", size - 1000, 1000},
                              Case{"bytes=8388607-8388609", 8388607, 3}}) {
            const Reply r = send("GET", onA, {{"Range", k.range}});
            QCOMPARE(r.status, 206);
            QCOMPARE(r.header("Content-Range"), "bytes " + QByteArray::number(k.first) + '-' + QByteArray::number(k.first + k.length - 1)
                                                    + '/' + QByteArray::number(size));
            QVERIFY2(r.body == slice(k.first, k.length), k.range.constData());
        }
        QCOMPARE(send("GET", onA, {{"Range", "bytes=" + QByteArray::number(size) + "-"}}).status, 416);
        const Reply headOnly = send("HEAD", onA);
        QCOMPARE(headOnly.status, 200);
        QCOMPARE(headOnly.header("Content-Length").toLongLong(), size);

        // The whole object from C, read slowly: its first MiB arrives while S3 is
        // still sending (nothing waits for the last byte), and C's memory stays put.
        const qint64 before = m_slowBucket.bytesDownstream();
        const qint64 peakBefore = testcommon::procStatusBytes(m_c.process.processId(), "VmHWM");
        QTcpSocket client;
        client.setReadBufferSize(256 * 1024);
        client.connectToHost(QHostAddress::LocalHost, quint16(m_c.base.port()));
        QVERIFY(client.waitForConnected(5000));
        client.write("GET /images/" + name.toLatin1() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        QByteArray received;
        QVERIFY(waitUntil([&] {
            received += client.readAll();
            return received.size() > 1024 * 1024;
        }, 20000));
        QVERIFY2(m_slowBucket.bytesDownstream() - before < size / 2,
                 qPrintable(QStringLiteral("%1 bytes came from S3 before the first MiB went out").arg(m_slowBucket.bytesDownstream() - before)));
        QVERIFY(waitUntil([&] {
            received += client.readAll();
            return client.state() == QAbstractSocket::UnconnectedState && client.bytesAvailable() == 0;
        }, 60000));
        const qsizetype bodyAt = received.indexOf("\r\n\r\n") + 4;
        QVERIFY(received.startsWith("HTTP/1.1 200"));
        QCOMPARE(received.size() - bodyAt, size);
        f.seek(0);
        QVERIFY(received.mid(bodyAt) == f.readAll());
        const qint64 peakAfter = testcommon::procStatusBytes(m_c.process.processId(), "VmHWM");
        QVERIFY2(peakAfter - peakBefore < 16 * testcommon::MiB,
                 qPrintable(QStringLiteral("peak RSS %1 -> %2 MiB").arg(peakBefore >> 20).arg(peakAfter >> 20)));
        qInfo("48 MiB object streamed; C's peak RSS %lld -> %lld MiB", peakBefore >> 20, peakAfter >> 20);

        m_c.process.terminate(); // its bucket is this process's proxy: the event loop keeps turning meanwhile
        QVERIFY(waitUntil([&] { return m_c.process.state() == QProcess::NotRunning; }, 20000));
        QVERIFY2(!m_c.log().contains("blocked the server thread"), m_c.log().constData());
    }

    // Expired uploads leave the bucket in the sweep an instance runs (at start,
    // then every minute): record, token, tail object; an unexpired one stays.
    void expiredUploadsAreSweptFromTheBucket()
    {
        const auto createWithTail = [&](QByteArray *token) {
            const Reply created = send("POST", m_a.base.resolved(QUrl(QStringLiteral("/api/v0/upload-video"))),
                                       {{"Tus-Resumable", "1.0.0"}, {"Upload-Length", QByteArray::number(10 * testcommon::MiB)}});
            const QUrl tusUrl(QString::fromLatin1(created.header("Location")));
            *token = tusUrl.path().section(QLatin1Char('/'), -1).toLatin1();
            const Reply r = patch(tusUrl, 0, QByteArray(1 * testcommon::MiB, 'x'));
            return r.status == 204 ? QString::fromLatin1(created.header("Stream-Media-Id")) : QString();
        };
        QByteArray expiredToken, keptToken;
        const QString expired = createWithTail(&expiredToken);
        const QString kept = createWithTail(&keptToken);
        QVERIFY(!expired.isEmpty() && !kept.isEmpty());
        s3::BlockingS3Client bucket(bucketConfig());
        const QString recordKey = QStringLiteral("uploads/%1/info.json").arg(expired);
        auto record = bucket.getObject(recordKey);
        QVERIFY(record.ok());
        QJsonObject json = QJsonDocument::fromJson(record->body).object();
        json.insert(QStringLiteral("expiresAt"), QDateTime::currentDateTimeUtc().addSecs(-60).toString(Qt::ISODateWithMs));
        QVERIFY(bucket.putObject(recordKey, QJsonDocument(json).toJson()).ok());
        const auto objectsOf = [&](const QString &id) {
            s3::ListOptions list;
            list.prefix = QStringLiteral("uploads/%1/").arg(id);
            auto listed = bucket.listObjects(list);
            return listed.ok() ? int(listed->list.objects.size()) : -1;
        };
        QVERIFY(objectsOf(expired) >= 2); // the record and the tail

        Instance sweeper;
        QVERIFY2(startInstance(sweeper, QStringLiteral("sweeper")), sweeper.log().constData());
        QVERIFY2(pollUntil([&] { return objectsOf(expired) == 0; }, 20000), sweeper.log().constData());
        QVERIFY(!bucket.headObject(QStringLiteral("tokens/") + QString::fromLatin1(expiredToken)).ok());
        QVERIFY(objectsOf(kept) >= 2);
        QVERIFY(bucket.headObject(QStringLiteral("tokens/") + QString::fromLatin1(keptToken)).ok());
        // Its tus URL is gone for every instance; the other one still answers.
        QCOMPARE(send("HEAD", m_b.base.resolved(QUrl(QStringLiteral("/tus/") + QString::fromLatin1(expiredToken))), kTus).status, 404);
        QCOMPARE(send("HEAD", m_b.base.resolved(QUrl(QStringLiteral("/tus/") + QString::fromLatin1(keptToken))), kTus).status, 200);
        sweeper.process.terminate();
        QVERIFY(sweeper.process.waitForFinished(10000));
    }

    void killedInstanceTheClientResumesOnTheOther()
    {
        const QString file = m_dir.filePath(QStringLiteral("big.bin"));
        QVERIFY(testcommon::writeRandomFile(file, 30 * testcommon::MiB, 1616));
        QProcess client;
        client.setProcessEnvironment(awsEnvironment());
        const qint64 before = m_proxy.bytesUpstream();
        client.start(QStringLiteral(DESO_MEDIA_BIN), {QStringLiteral("upload-video"), file, QStringLiteral("--node"),
                                                      m_proxy.url().toString(), QStringLiteral("--chunk-size"),
                                                      QStringLiteral("5M"), QStringLiteral("--no-resume")});
        QVERIFY(client.waitForStarted(10000));
        QVERIFY(waitUntil([&] { return m_proxy.bytesUpstream() - before > 12 * testcommon::MiB; }, 30000));
        // SIGKILL the instance taking the bytes now: no chance to record or release anything.
        Instance &victim = m_proxy.lastActiveUpstream() == m_a.port() ? m_a : m_b;
        victim.process.kill();
        QVERIFY(victim.process.waitForFinished(10000));
        QVERIFY2(waitUntil([&] { return client.state() == QProcess::NotRunning; }, 60000), "the client did not finish");
        const QByteArray out = client.readAllStandardOutput();
        QVERIFY2(client.exitStatus() == QProcess::NormalExit && client.exitCode() == 0,
                 (out + client.readAllStandardError()).constData());
        const QString id = QRegularExpression(QStringLiteral("[0-9a-f]{32}")).match(QString::fromUtf8(out)).captured(0);
        QVERIFY2(!id.isEmpty(), out.constData());
        QCOMPARE(bucketSha256(id), testcommon::sha256Of(file));
    }

    // Issue 16: processing is handed over. The instance processing a video is
    // SIGKILLed mid-job; its processing lease runs out, and the other instance,
    // asked for the status, takes the job over and makes the video ready.
    void processingOfAKilledInstanceIsTakenOver()
    {
        for (Instance *i : {&m_a, &m_b}) { // killedInstanceTheClientResumesOnTheOther stopped one
            if (i->process.state() == QProcess::NotRunning) {
                i->out.clear();
                i->base = QUrl();
                QVERIFY2(startInstance(*i, i == &m_a ? QStringLiteral("a-again") : QStringLiteral("b-again")), i->log().constData());
            }
        }
        const QByteArray bytes = syntheticClipBytes(m_dir.filePath(QStringLiteral("clip720.mp4")), 1280, 720, 4.0);
        QVERIFY(!bytes.isEmpty());
        const Reply created = send("POST", m_a.base.resolved(QUrl(QStringLiteral("/api/v0/upload-video"))),
                                   {{"Tus-Resumable", "1.0.0"}, {"Upload-Length", QByteArray::number(bytes.size())}});
        QVERIFY2(created.status == 200, created.body.constData());
        const QString id = QString::fromLatin1(created.header("Stream-Media-Id"));
        QCOMPARE(patch(QUrl(QString::fromLatin1(created.header("Location"))), 0, bytes).status, 204);

        // A took the last byte and runs the job (its lease in the bucket); kill it while it runs.
        s3::BlockingS3Client bucket(bucketConfig());
        const QString leaseKey = QStringLiteral("uploads/%1/processing").arg(id);
        const auto stateInBucket = [&] {
            auto record = bucket.getObject(QStringLiteral("uploads/%1/info.json").arg(id));
            return record.ok() ? QJsonDocument::fromJson(record->body).object().value(QStringLiteral("state")).toString() : QString();
        };
        QString seen;
        QVERIFY2(pollUntil([&] { return (seen = stateInBucket()) == QLatin1String("inprogress"); }, 60000),
                 qPrintable(QStringLiteral("state %1; A said: %2").arg(seen, QString::fromUtf8(m_a.log()))));
        QVERIFY(bucket.headObject(leaseKey).ok());
        m_a.process.kill();
        QVERIFY(m_a.process.waitForFinished(10000));
        const QString stateAtKill = stateInBucket();
        QVERIFY2(stateAtKill == QLatin1String("inprogress"), "the job ended before the kill: nothing to hand over");

        // B answers the status, finds the lease run out, takes the job and finishes it.
        QJsonObject status;
        QVERIFY2(waitUntil([&] {
            const Reply r = send("GET", m_b.base.resolved(QUrl(QStringLiteral("/api/v0/get-video-status/") + id)));
            status = QJsonDocument::fromJson(r.body).object();
            return status.value(QStringLiteral("ReadyToStream")).toBool() || status.value(QStringLiteral("state")) == QLatin1String("error");
        }, 90000), (QJsonDocument(status).toJson() + m_b.log()).constData());
        QVERIFY2(status.value(QStringLiteral("ReadyToStream")).toBool(), QJsonDocument(status).toJson().constData());
        QVERIFY(m_b.log().contains("taking over its processing"));
        const Reply master = send("GET", QUrl(status.value(QStringLiteral("PlaybackURL")).toString()));
        QCOMPARE(master.status, 200);
        QVERIFY(master.body.startsWith("#EXTM3U"));
        QVERIFY(pollUntil([&] { return !bucket.headObject(leaseKey).ok(); }, 10000)); // released when done
        qInfo("handed over in state %s", qPrintable(stateAtKill));
    }

    // With the bucket gone, the tus URL answers 503 (retry later), never 404 (start over).
    void bucketOutageIsA503NotA404()
    {
        Instance &alive = m_a.process.state() == QProcess::Running ? m_a : m_b;
        QCOMPARE(alive.process.state(), QProcess::Running);
        m_s3.stop();
        const Reply head = send("HEAD", alive.base.resolved(QUrl(QStringLiteral("/tus/") + QString(64, QLatin1Char('a')))), kTus);
        QCOMPARE(head.status, 503);
        QVERIFY(!head.header("Retry-After").isEmpty());
        // Every request that needs the bucket: 503 with a sentence and Retry-After.
        const QString someId(32, QLatin1Char('b'));
        for (const QString &path : {QStringLiteral("/api/v0/get-video-status/") + someId,
                                    QStringLiteral("/api/v0/get-video-dimensions/") + someId,
                                    QStringLiteral("/api/v0/enable-video-download/") + someId,
                                    QStringLiteral("/videos/") + someId,
                                    QStringLiteral("/hls/") + someId + QStringLiteral("/index.m3u8"),
                                    QStringLiteral("/thumbnails/") + someId + QStringLiteral(".jpg"),
                                    QStringLiteral("/download/") + someId + QStringLiteral(".mp4"),
                                    QStringLiteral("/images/") + QString(64, QLatin1Char('c')) + QStringLiteral(".webp")}) {
            const Reply r = send(path.startsWith(QLatin1String("/api/v0/enable")) ? "POST" : "GET", alive.base.resolved(QUrl(path)));
            QVERIFY2(r.status == 503, qPrintable(path + QStringLiteral(": ") + QString::number(r.status) + QLatin1Char(' ') + QString::fromUtf8(r.body)));
            QVERIFY2(r.body.contains("storage"), qPrintable(path + QStringLiteral(": ") + QString::fromUtf8(r.body)));
            QVERIFY2(!r.header("Retry-After").isEmpty(), qPrintable(path));
        }
        const Reply created = send("POST", alive.base.resolved(QUrl(QStringLiteral("/api/v0/upload-video"))),
                                   {{"Tus-Resumable", "1.0.0"}, {"Upload-Length", "100"}});
        QCOMPARE(created.status, 503);
    }
};

QTEST_GUILESS_MAIN(TestScaleOut)
#include "tst_scale_out.moc"
