// A headless host (`deso-media --serve`) killed with SIGKILL in the middle of a
// PATCH body, twice, and restarted on the same port and data directory each time:
// the uploader (TusUploader, unchanged, retrying on its own) resumes from the
// offset the restarted host reports and the stored file is byte-identical.
// (tests/host/tst_serve kills the host between requests, with raw HTTP; this one
// kills it while bytes stream in, with the real client.)
#include "eventwait.h"
#include "reliabilitytools.h"
#include "tus/tusuploader.h"

#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

using namespace reliability;
using deso::tus::TusOptions;
using deso::tus::TusUploader;

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

        TusOptions options;
        options.chunkSize = 5 * MiB;
        options.retryDelaysMs = {0, 200, 500, 1000};
        options.maxRetries = 20;
        options.resume = false;
        options.storeFile = dir->filePath(QStringLiteral("tus-store.json"));
        TusUploader up(host.url().resolved(QUrl(QStringLiteral("/api/v0/upload-video"))), file, options);
        QSignalSpy done(&up, &TusUploader::finished);
        QSignalSpy failed(&up, &TusUploader::failed);
        QSignalSpy retries(&up, &TusUploader::retrying);

        // Kill points inside the 2nd and 4th chunk bodies (bytes sent, request in flight).
        const QList<qint64> killAt{7 * MiB + 123457, 17 * MiB + 98765};
        QList<qint64> confirmedAtKill;
        int kills = 0;
        qint64 sent = 0;
        connect(&up, &TusUploader::progress, this, [&](qint64 bytesSent, qint64, double, double) { sent = bytesSent; });
        up.start();
        while (kills < killAt.size()) {
            QVERIFY2(waitUntil([&] { return sent >= killAt[kills] || done.count() + failed.count() > 0; }, 60000),
                     "the upload stalled before the kill point");
            QVERIFY2(done.isEmpty() && failed.isEmpty(), "the upload ended before the host could be killed");
            confirmedAtKill << up.bytesConfirmed();
            host.kill();
            ++kills;
            QVERIFY2(host.start(port, &why), qPrintable(why));
        }
        QVERIFY2(waitUntil([&] { return done.count() + failed.count() > 0; }, 90000), "the upload did not end");
        QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).value<deso::Error>().toString()));
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
