// A headless host (`deso-media --serve`) killed with SIGKILL at seeded random
// moments while upload-image requests stream in, are processed and stored
// (issue 17). After each restart on the same data directory nothing partial is
// visible or served: images/ holds only files named by their content address
// whose bytes hash to that name, each served byte-identical, and an upload of
// the same image then succeeds.
#include "identity/jwt.h"
#include "identity/keys.h"
#include "rawhttpclient.h"
#include "reliabilitytools.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QThread>
#include <QtTest>

#include <atomic>
#include <thread>

using namespace reliability;
using namespace rawhttp;

namespace {

constexpr int kKills = 12;

QByteArray noisyPng(int w, int h, quint32 seed)
{
    QImage image(w, h, QImage::Format_RGB32);
    QRandomGenerator g(seed);
    for (int y = 0; y < h; ++y) {
        auto *line = reinterpret_cast<quint32 *>(image.scanLine(y));
        for (int x = 0; x < w; ++x)
            line[x] = g.generate();
    }
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    return bytes;
}

QByteArray uploadRequest(const deso::identity::PrivateKey &key, const QByteArray &png)
{
    const QByteArray boundary = "----deso-image-crash-77";
    QByteArray b;
    auto field = [&](const QByteArray &name, const QByteArray &value) {
        b += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
    };
    field("UserPublicKeyBase58Check", key.publicKey().toBase58Check(deso::identity::Network::Mainnet).toLatin1());
    field("JWT", deso::identity::signJwt(key).toLatin1());
    b += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"n.png\"\r\n"
         "Content-Type: image/png\r\n\r\n" + png + "\r\n--" + boundary + "--\r\n";
    return "POST /api/v0/upload-image HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=" + boundary
         + "\r\nContent-Length: " + QByteArray::number(b.size()) + "\r\n\r\n" + b;
}

// Every file in images/ is a finished image: a stored name whose bytes hash to
// it, served byte-identical. Empty when so, else what is wrong.
QString checkImages(const QString &imagesDir, quint16 port)
{
    static const QRegularExpression name(QStringLiteral("^([0-9a-f]{64})\\.webp$"));
    for (const QString &file : QDir(imagesDir).entryList(QDir::Files | QDir::Hidden | QDir::System)) {
        const auto m = name.match(file);
        if (!m.hasMatch())
            return QStringLiteral("a file that is not a stored image is visible: %1").arg(file);
        QFile f(QDir(imagesDir).filePath(file));
        if (!f.open(QIODevice::ReadOnly))
            return QStringLiteral("cannot read %1").arg(file);
        const QByteArray bytes = f.readAll();
        if (QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex() != m.captured(1).toLatin1())
            return QStringLiteral("%1 does not hold the bytes its name says (%2 bytes)").arg(file).arg(bytes.size());
        RawClient c;
        QString why;
        if (!c.connectTo(port) || !c.send("GET /images/" + file.toLatin1() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").isEmpty())
            return QStringLiteral("cannot ask for %1").arg(file);
        const auto a = c.read("GET", &why);
        if (!a || a->status != 200 || a->body != bytes)
            return QStringLiteral("GET /images/%1 did not serve the stored bytes: %2").arg(file, a ? QString::fromLatin1(a->brief()) : why);
    }
    return {};
}

} // namespace

class TestImageCrash : public QObject {
    Q_OBJECT

private slots:
    void killedDuringImageUploadsLeavesNothingPartial()
    {
        auto dir = scratchDir(256 * MiB);
        QVERIFY(dir->isValid());
        const QString dataDir = dir->filePath(QStringLiteral("host"));
        const QString imagesDir = dataDir + QStringLiteral("/images");
        const auto key = deso::identity::PrivateKey::generate();
        ServeProcess host(dataDir);
        QString why;

        // How long one upload takes here, so the kills spread over all of it
        // (body, processing, storing, answering).
        QVERIFY2(host.start(0, &why), qPrintable(why));
        quint16 port = quint16(host.url().port());
        QElapsedTimer clock;
        clock.start();
        {
            RawClient c;
            QVERIFY(c.connectTo(port));
            QCOMPARE(c.send(uploadRequest(key, noisyPng(900, 700, 1))), QString());
            const auto a = c.read("POST", &why, 60000);
            QVERIFY2(a && a->status == 200, qPrintable(a ? QString::fromLatin1(a->brief()) : why));
        }
        const qint64 uploadMs = qMax<qint64>(50, clock.elapsed());
        host.kill();

        QRandomGenerator random(2026);
        int killedMidRequest = 0;
        for (int i = 0; i < kKills; ++i) {
            QVERIFY2(host.start(port, &why), qPrintable(why));
            const QString wrong = checkImages(imagesDir, port);
            QVERIFY2(wrong.isEmpty(), qPrintable(QStringLiteral("after restart %1: %2").arg(i).arg(wrong)));
            // Two uploads in flight, a kill somewhere inside them.
            std::vector<std::thread> senders;
            std::atomic<int> answered = 0;
            for (int k = 0; k < 2; ++k) {
                const QByteArray bytes = uploadRequest(key, noisyPng(900, 700, quint32(100 + i * 2 + k)));
                senders.emplace_back([bytes, port, &answered] {
                    RawClient c;
                    QString ignored;
                    if (c.connectTo(port) && c.send(bytes).isEmpty() && c.read("POST", &ignored, 60000))
                        ++answered;
                });
            }
            const int delay = int(random.bounded(quint32(uploadMs * 3 / 2)));
            QThread::msleep(ulong(delay));
            host.kill();
            for (auto &t : senders)
                t.join();
            killedMidRequest += answered < 2;
        }
        QVERIFY2(host.start(port, &why), qPrintable(why));
        const QString wrong = checkImages(imagesDir, port);
        QVERIFY2(wrong.isEmpty(), qPrintable(QStringLiteral("after the last restart: %1").arg(wrong)));
        RawClient c;
        QVERIFY(c.connectTo(port));
        QCOMPARE(c.send(uploadRequest(key, noisyPng(900, 700, 100))), QString());
        const auto a = c.read("POST", &why, 60000);
        QVERIFY2(a && a->status == 200, qPrintable(a ? QString::fromLatin1(a->brief()) : why));
        qInfo("image crash: %d SIGKILLs (%d with an upload unanswered), one upload %lld ms; after each restart only "
              "finished, content-addressed images were visible and served (%lld files)",
              kKills, killedMidRequest, uploadMs, qlonglong(QDir(imagesDir).entryList(QDir::Files).size()));
    }
};

QTEST_MAIN(TestImageCrash)
#include "tst_image_crash.moc"
