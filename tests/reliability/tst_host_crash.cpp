// A headless host (`deso-media --serve`) killed with SIGKILL in the middle of a
// PATCH body, twice, and restarted on the same port and data directory each time
// (the uploader reaches it through a rate-limited forwarder, so the kill lands
// mid-body on any machine):
// the uploader (TusUploader, unchanged, retrying on its own) resumes from the
// offset the restarted host reports and the stored file is byte-identical.
// (tests/host/tst_serve kills the host between requests, with raw HTTP; this one
// kills it while bytes stream in, with the real client.)
#include "eventwait.h"
#include "reliabilitytools.h"
#include "tus/tusuploader.h"

#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTimer>

#include <functional>
#include <QtTest>

using namespace reliability;
using deso::tus::TusOptions;
using deso::tus::TusUploader;

namespace {

// A loopback forwarder that passes client bytes to the host at a bounded rate
// (64 KiB every 5 ms), so a PATCH body is still streaming when the test decides
// to kill the host: the kill lands mid-body deterministically, whatever the
// machine's speed. Connections die with the host; the uploader reconnects.
class ThrottledProxy : public QObject {
public:
    std::function<void()> afterForward; // runs after each tick that moved bytes

    bool start(quint16 upstreamPort)
    {
        m_upstreamPort = upstreamPort;
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *client = m_server.nextPendingConnection()) {
                client->setReadBufferSize(256 * 1024); // back-pressure: read only what we forward
                auto *up = new QTcpSocket(this);
                m_pairs.append(qMakePair(client, up));
                connect(up, &QTcpSocket::readyRead, client, [client, up] { client->write(up->readAll()); });
                auto drop = [this, client, up] {
                    for (qsizetype i = 0; i < m_pairs.size(); ++i)
                        if (m_pairs[i].first == client)
                            m_pairs.removeAt(i--);
                    client->abort();
                    up->abort();
                    client->deleteLater();
                    up->deleteLater();
                };
                connect(client, &QTcpSocket::disconnected, this, drop);
                connect(up, &QTcpSocket::disconnected, this, drop);
                connect(up, &QTcpSocket::errorOccurred, this, drop);
                up->connectToHost(QHostAddress::LocalHost, m_upstreamPort);
            }
        });
        connect(&m_tick, &QTimer::timeout, this, [this] { tick(); });
        m_tick.start(5);
        return m_server.listen(QHostAddress::LocalHost, 0);
    }
    ~ThrottledProxy() override
    {
        // Members die before QObject's clean-up: cut every socket's link to this first.
        m_tick.stop();
        afterForward = nullptr;
        m_pairs.clear();
        for (QTcpSocket *s : m_server.findChildren<QTcpSocket *>())
            s->disconnect(this);
        for (QTcpSocket *s : findChildren<QTcpSocket *>())
            s->disconnect(this);
    }

    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort())); }
    qint64 forwarded() const { return m_forwarded; }

private:
    void tick()
    {
        bool moved = false;
        const auto pairs = m_pairs;
        for (const auto &[client, up] : pairs) {
            if (up->state() != QAbstractSocket::ConnectedState || up->bytesToWrite() > 1024 * 1024)
                continue;
            const QByteArray data = client->read(64 * 1024);
            if (data.isEmpty())
                continue;
            up->write(data);
            m_forwarded += data.size();
            moved = true;
        }
        if (moved && afterForward)
            afterForward();
    }

    QTcpServer m_server;
    QTimer m_tick;
    quint16 m_upstreamPort = 0;
    QList<QPair<QTcpSocket *, QTcpSocket *>> m_pairs;
    qint64 m_forwarded = 0;
};

} // namespace

class TestHostCrash : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void sigkillMidPatchThenRestartResumes()
    {
        constexpr qint64 kSize = 20 * MiB;
        auto dir = scratchDir(3 * kSize);
        QVERIFY(dir->isValid());
        const QString file = dir->filePath(QStringLiteral("clip.bin"));
        QVERIFY(writeRandomFile(file, kSize, 77));
        const QString dataDir = dir->filePath(QStringLiteral("host"));

        const quint16 port = freeLoopbackPort();
        QVERIFY(port != 0);
        ServeProcess host(dataDir);
        QString why;
        QVERIFY2(host.start(port, &why), qPrintable(why));

        // Declared before the proxy and the uploader, so it outlives every callback.
        bool restartFailed = false;
        QTimer restart;
        restart.setSingleShot(true);
        connect(&restart, &QTimer::timeout, this, [&] {
            QString why;
            if (!host.start(port, &why)) {
                restartFailed = true;
                qWarning() << why;
            }
        });
        ThrottledProxy proxy;
        QVERIFY(proxy.start(port));

        TusOptions options;
        options.chunkSize = 5 * MiB;
        options.retryDelaysMs = {0, 200, 500, 1000};
        options.maxRetries = 20;
        options.resume = false;
        options.storeFile = dir->filePath(QStringLiteral("tus-store.json"));
        TusUploader up(proxy.url().resolved(QUrl(QStringLiteral("/api/v0/upload-video"))), file, options);
        QSignalSpy done(&up, &TusUploader::finished);
        QSignalSpy failed(&up, &TusUploader::failed);
        QSignalSpy retries(&up, &TusUploader::retrying);

        // Kill k: once the host has confirmed confirmedBefore[k] bytes and 2 more MiB of the
        // next chunk's body (5 MiB) have gone to it, i.e. in the middle of a PATCH body.
        const QList<qint64> confirmedBefore{5 * MiB, 15 * MiB};
        QList<qint64> confirmedAtKill;
        int kills = 0;
        qint64 forwardedAtConfirm = -1;
        proxy.afterForward = [&] {
            if (kills >= confirmedBefore.size() || restartFailed || !host.running())
                return;
            if (up.bytesConfirmed() < confirmedBefore[kills])
                return;
            if (forwardedAtConfirm < 0)
                forwardedAtConfirm = proxy.forwarded();
            if (proxy.forwarded() - forwardedAtConfirm < 2 * MiB)
                return;
            confirmedAtKill << up.bytesConfirmed();
            host.kill();
            ++kills;
            forwardedAtConfirm = -1;
            // Down for a moment (as a crashed host is): Qt's own silent resend fails too,
            // so the uploader's retry asks the new host for the offset (HEAD).
            restart.start(400);
        };
        up.start();
        QVERIFY2(waitUntil([&] { return done.count() + failed.count() > 0; }, 90000), "the upload did not end");
        QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).value<deso::Error>().toString()));
        QVERIFY(!restartFailed);
        QCOMPARE(kills, confirmedBefore.size());
        QVERIFY(retries.count() >= kills);

        const QString id = up.mediaId();
        QVERIFY(!id.isEmpty());
        QCOMPARE(sha256Of(QDir(dataDir).filePath(QStringLiteral("uploads/%1/data").arg(id))), sha256Of(file));
        // The killed PATCHes were cut mid-body: the host had not confirmed them.
        for (qint64 c : confirmedAtKill)
            QVERIFY(c % (5 * MiB) == 0 && c < kSize);
        qInfo().noquote() << QStringLiteral("host crash: %1 SIGKILLs mid-PATCH (confirmed %2 bytes at the kills), "
                                            "%3 uploader retries, %4 PATCH / %5 HEAD requests, byte-identical")
                                 .arg(kills)
                                 .arg([&] { QStringList s; for (qint64 c : confirmedAtKill) s << QString::number(c); return s.join('/'); }())
                                 .arg(retries.count())
                                 .arg(up.requestCounts().value("PATCH"))
                                 .arg(up.requestCounts().value("HEAD"));
    }
};

QTEST_GUILESS_MAIN(TestHostCrash)
#include "tst_host_crash.moc"
