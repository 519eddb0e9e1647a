// Fault injection between the real uploader and the real host on loopback:
// TusUploader -> CuttingProxy -> EndpointHost. 100 uploads of one 20 MiB file,
// each cut 1 to 3 times at seeded random byte offsets of the client->host stream
// (the link then stays down for a few connection attempts, so the uploader's own
// retry, HEAD and resume run rather than Qt's silent resend); every other upload
// sends Upload-Checksum. Every upload must
// finish by retrying alone, and the host's stored bytes must hash like the file.
#include "cuttingproxy.h"
#include "eventwait.h"
#include "host/endpointhost.h"
#include "reliabilitytools.h"
#include "tus/tusuploader.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

using namespace reliability;
using deso::tus::TusOptions;
using deso::tus::TusUploader;

class TestFaultInjection : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    deso::host::EndpointHost m_host;

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        m_dir = scratchDir(64 * MiB);
        QVERIFY(m_dir->isValid());
        deso::host::HostConfig config;
        config.dataDir = m_dir->filePath(QStringLiteral("host"));
        const auto s = m_host.start(config);
        QVERIFY2(s.ok(), qPrintable(s.ok() ? QString() : s.error().toString()));
    }

    void hundredCutUploadsFinishByteIdentical()
    {
        constexpr int kUploads = 100;
        constexpr qint64 kSize = 20 * MiB;
        const QString file = m_dir->filePath(QStringLiteral("video.bin"));
        QVERIFY(writeRandomFile(file, kSize, 2026));
        const QByteArray expected = sha256Of(file);

        CuttingProxy proxy;
        QVERIFY(proxy.start(m_host.port()));
        const QUrl endpoint = proxy.url().resolved(QUrl(QStringLiteral("/api/v0/upload-video")));
        QNetworkAccessManager direct;

        int totalCuts = 0, totalRetries = 0, totalPatches = 0, totalHeads = 0;
        QElapsedTimer clock;
        clock.start();
        for (int i = 0; i < kUploads; ++i) {
            // Seeded: the same run every time; the seed is in the failure message.
            QRandomGenerator gen(quint32(1000 + i));
            const int cuts = 1 + int(gen.bounded(3));
            QList<qint64> offsets;
            for (int c = 0; c < cuts; ++c)
                offsets << 1 + qint64(gen.bounded(quint32(kSize + 64 * 1024)));
            proxy.cutAfter(offsets, 3);

            TusOptions options;
            options.chunkSize = 5 * MiB;
            options.retryDelaysMs = {0, 10, 30};
            options.maxRetries = 12;
            options.stallTimeoutMs = 10000;
            options.resume = false;
            // Both host paths: with a checksum a cut chunk is dropped whole; without,
            // the bytes that arrived are kept and the next PATCH starts mid-chunk.
            options.useChecksum = i % 2 == 0;
            options.storeFile = m_dir->filePath(QStringLiteral("tus-store.json"));
            TusUploader up(endpoint, file, options);
            QSignalSpy done(&up, &TusUploader::finished);
            QSignalSpy failed(&up, &TusUploader::failed);
            QSignalSpy retries(&up, &TusUploader::retrying);
            const int cutsBefore = proxy.cutsDone();
            up.start();
            const bool ended = waitUntil([&] { return done.count() + failed.count() > 0; }, 60000);
            const QByteArray context = QStringLiteral("upload %1 (seed %2, cuts at %3)")
                                           .arg(i).arg(1000 + i)
                                           .arg([&] { QStringList s; for (qint64 o : offsets) s << QString::number(o); return s.join(','); }())
                                           .toUtf8();
            QVERIFY2(ended, context.constData());
            QVERIFY2(failed.isEmpty(), (context + ": " + failed.value(0).value(0).value<deso::Error>().toString().toUtf8()).constData());

            const QString id = up.mediaId();
            QVERIFY2(!id.isEmpty(), context.constData());
            const QString stored = m_dir->filePath(QStringLiteral("host/uploads/%1/data").arg(id));
            QVERIFY2(sha256Of(stored) == expected, context.constData());

            totalCuts += proxy.cutsDone() - cutsBefore;
            totalRetries += int(retries.count());
            totalPatches += up.requestCounts().value("PATCH");
            totalHeads += up.requestCounts().value("HEAD");

            // Free the space (and exercise termination of a finished upload), directly.
            QUrl directUrl = up.uploadUrl();
            directUrl.setPort(m_host.port());
            QNetworkRequest del(directUrl);
            del.setRawHeader("Tus-Resumable", "1.0.0");
            QNetworkReply *reply = direct.deleteResource(del);
            QVERIFY(waitUntil([&] { return reply->isFinished(); }, 10000));
            QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 204);
            reply->deleteLater();
        }
        // Cuts can fall past the last byte of a short run (the stream ends first); most land.
        QVERIFY2(totalCuts >= kUploads, qPrintable(QString::number(totalCuts)));
        QVERIFY(totalRetries >= kUploads);
        qInfo().noquote() << QStringLiteral("fault injection: %1 uploads of %2 MiB, %3 cuts, %4 uploader retries, "
                                            "%5 PATCH and %6 HEAD requests, all byte-identical, %7 s")
                                 .arg(kUploads).arg(kSize / MiB).arg(totalCuts).arg(totalRetries)
                                 .arg(totalPatches).arg(totalHeads).arg(double(clock.elapsed()) / 1000.0, 0, 'f', 1);
    }
};

QTEST_GUILESS_MAIN(TestFaultInjection)
#include "tst_fault_injection.moc"
