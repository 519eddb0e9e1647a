// Load on one headless host (`deso-media --serve`, a separate process so its
// memory can be read from /proc/<pid>/status):
// - 50 concurrent tus uploads of 20 MiB each (50 different files): all complete,
//   all byte-identical. Twice: the host's peak RSS after the second 50 must not
//   exceed the first by more than a few MiB (memory does not grow with the number
//   of completed uploads), and stays far below the gigabyte that went through it.
// - 10,000 get-video-status requests, 16 in flight: all 200 with the right id's
//   state; latency percentiles printed (no timing is asserted).
#include "eventwait.h"
#include "reliabilitytools.h"
#include "tus/tusuploader.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

#include <algorithm>
#include <vector>

using namespace reliability;
using deso::tus::TusOptions;
using deso::tus::TusUploader;

namespace {
constexpr int kUploads = 50;
constexpr qint64 kSize = 20 * MiB;
// Peak RSS bound for the host: Qt + 50 connections' 1 MiB body buffers + slack,
// and in any case a small fraction of the 1000 MiB each round pushes through it.
constexpr qint64 kPeakRssBound = 256 * MiB;
constexpr qint64 kRoundGrowthBound = 16 * MiB;
} // namespace

class TestLoad : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ServeProcess> m_host;
    QStringList m_files;
    QList<QByteArray> m_hashes;
    QStringList m_ids;
    QList<qint64> m_roundPeaks;

    // One round of concurrent uploads; records the host's peak RSS after it. The
    // first round's uploads are then deleted (tus termination) to free their space;
    // the last round's stay for the status requests.
    void uploadRound(int round)
    {
        QList<TusUploader *> uploads;
        int finished = 0, failures = 0;
        QStringList errors;
        qint64 maxRssSeen = 0;
        QElapsedTimer clock;
        clock.start();
        for (int i = 0; i < kUploads; ++i) {
            TusOptions options;
            options.chunkSize = 5 * MiB;
            options.retryDelaysMs = {0, 100, 500};
            options.maxRetries = 6;
            options.resume = false;
            options.storeFile = m_dir->filePath(QStringLiteral("store-%1-%2.json").arg(round).arg(i));
            auto *up = new TusUploader(m_host->url().resolved(QUrl(QStringLiteral("/api/v0/upload-video"))),
                                       m_files[i], options, this);
            connect(up, &TusUploader::finished, this, [&finished] { ++finished; });
            connect(up, &TusUploader::failed, this, [&failures, &errors, i](const deso::Error &e) {
                ++failures;
                errors << QStringLiteral("upload %1: %2").arg(i).arg(e.toString());
            });
            uploads << up;
        }
        for (TusUploader *up : uploads)
            up->start();
        QVERIFY2(waitUntil([&] {
                     maxRssSeen = qMax(maxRssSeen, m_host->rssBytes());
                     m_host->drainOutput();
                     return finished + failures == kUploads;
                 }, 110000),
                 qPrintable(QStringLiteral("%1 of %2 uploads ended").arg(finished + failures).arg(kUploads)));
        QVERIFY2(failures == 0, qPrintable(errors.join('\n')));
        const double seconds = double(clock.elapsed()) / 1000.0;

        for (int i = 0; i < kUploads; ++i) {
            const QString id = uploads[i]->mediaId();
            QVERIFY(!id.isEmpty());
            QVERIFY2(sha256Of(m_dir->filePath(QStringLiteral("host/uploads/%1/data").arg(id))) == m_hashes[i],
                     qPrintable(QStringLiteral("round %1 upload %2 differs").arg(round).arg(i)));
            if (round == 1)
                m_ids << id;
        }
        if (round == 0) {
            QNetworkAccessManager nam;
            int deleted = 0;
            for (TusUploader *up : std::as_const(uploads)) {
                QNetworkRequest del(up->uploadUrl());
                del.setRawHeader("Tus-Resumable", "1.0.0");
                QNetworkReply *reply = nam.deleteResource(del);
                connect(reply, &QNetworkReply::finished, this, [reply, &deleted] {
                    if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 204)
                        ++deleted;
                    reply->deleteLater();
                });
            }
            QVERIFY(waitUntil([&] { return deleted == kUploads; }, 30000));
        }
        qDeleteAll(uploads);
        const qint64 peak = m_host->peakRssBytes();
        QVERIFY(peak > 0);
        m_roundPeaks << peak;
        qInfo().noquote() << QStringLiteral("load round %1: %2 concurrent uploads x %3 MiB byte-identical in %4 s "
                                            "(%5 MiB/s); host VmRSS max seen %6 MiB, VmHWM %7 MiB")
                                 .arg(round + 1).arg(kUploads).arg(kSize / MiB).arg(seconds, 0, 'f', 1)
                                 .arg(double(kUploads * kSize / MiB) / seconds, 0, 'f', 0)
                                 .arg(double(maxRssSeen) / MiB, 0, 'f', 1).arg(double(peak) / MiB, 0, 'f', 1);
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        m_dir = scratchDir(2 * kUploads * kSize);
        QVERIFY(m_dir->isValid());
        for (int i = 0; i < kUploads; ++i) {
            const QString path = m_dir->filePath(QStringLiteral("file-%1.bin").arg(i));
            QVERIFY(writeRandomFile(path, kSize, quint32(500 + i)));
            m_files << path;
            m_hashes << sha256Of(path);
        }
        m_host = std::make_unique<ServeProcess>(m_dir->filePath(QStringLiteral("host")));
        QString why;
        QVERIFY2(m_host->start(0, &why), qPrintable(why));
        qInfo().noquote() << QStringLiteral("host idle: VmRSS %1 MiB").arg(double(m_host->rssBytes()) / MiB, 0, 'f', 1);
    }

    void fiftyConcurrentUploadsTwice()
    {
        uploadRound(0);
        if (QTest::currentTestFailed())
            return;
        uploadRound(1);
        if (QTest::currentTestFailed())
            return;
        QVERIFY2(m_roundPeaks[0] < kPeakRssBound,
                 qPrintable(QStringLiteral("host peak RSS %1 MiB").arg(m_roundPeaks[0] / MiB)));
        QVERIFY2(m_roundPeaks[1] - m_roundPeaks[0] < kRoundGrowthBound,
                 qPrintable(QStringLiteral("host peak RSS grew from %1 to %2 MiB between rounds")
                                .arg(m_roundPeaks[0] / MiB).arg(m_roundPeaks[1] / MiB)));
    }

    void tenThousandStatusRequests()
    {
        QVERIFY(!m_ids.isEmpty());
        constexpr int kRequests = 10000;
        constexpr int kInFlight = 16;
        QNetworkAccessManager nam;
        std::vector<double> latenciesMs;
        latenciesMs.reserve(kRequests);
        int sent = 0, answered = 0;
        QStringList errors;
        QElapsedTimer total;
        total.start();
        std::function<void()> sendOne = [&] {
            const QString id = m_ids[sent % m_ids.size()];
            ++sent;
            QNetworkRequest request(m_host->url().resolved(QUrl(QStringLiteral("/api/v0/get-video-status/") + id)));
            auto clock = std::make_shared<QElapsedTimer>();
            clock->start();
            QNetworkReply *reply = nam.get(request);
            connect(reply, &QNetworkReply::finished, this, [&, reply, clock, id] {
                latenciesMs.push_back(double(clock->nsecsElapsed()) / 1e6);
                ++answered;
                const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                const QJsonObject o = QJsonDocument::fromJson(reply->readAll()).object();
                if (reply->error() != QNetworkReply::NoError || status != 200 || !o.contains(QStringLiteral("ReadyToStream"))
                    || !o.value(QStringLiteral("Dimensions")).isObject())
                    errors << QStringLiteral("%1: status %2, %3").arg(id).arg(status).arg(reply->errorString());
                reply->deleteLater();
                if (sent < kRequests)
                    sendOne();
            });
        };
        for (int i = 0; i < kInFlight; ++i)
            sendOne();
        QVERIFY2(waitUntil([&] {
                     m_host->drainOutput();
                     return answered == kRequests;
                 }, 110000),
                 qPrintable(QStringLiteral("%1 of %2 answered").arg(answered).arg(kRequests)));
        QVERIFY2(errors.isEmpty(), qPrintable(QStringLiteral("%1 errors, first: %2").arg(errors.size()).arg(errors.value(0))));
        std::sort(latenciesMs.begin(), latenciesMs.end());
        auto pct = [&](double p) { return latenciesMs[std::min(latenciesMs.size() - 1, size_t(p * double(latenciesMs.size())))]; };
        const double seconds = double(total.elapsed()) / 1000.0;
        qInfo().noquote() << QStringLiteral("get-video-status: %1 requests, %2 in flight, 0 errors, %3 req/s; latency ms "
                                            "p50 %4, p90 %5, p99 %6, p99.9 %7, max %8; host VmHWM %9 MiB")
                                 .arg(kRequests).arg(kInFlight).arg(double(kRequests) / seconds, 0, 'f', 0)
                                 .arg(pct(0.5), 0, 'f', 2).arg(pct(0.9), 0, 'f', 2).arg(pct(0.99), 0, 'f', 2)
                                 .arg(pct(0.999), 0, 'f', 2).arg(latenciesMs.back(), 0, 'f', 2)
                                 .arg(double(m_host->peakRssBytes()) / MiB, 0, 'f', 1);
    }

    void cleanupTestCase() { m_host.reset(); }
};

QTEST_GUILESS_MAIN(TestLoad)
#include "tst_load.moc"
