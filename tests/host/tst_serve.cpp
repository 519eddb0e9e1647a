// `deso-media --serve` as a real process: request log on stdout, a kill in
// the middle of an upload and a resume after restart, clean SIGTERM, and the
// refusal of a non-loopback bind without --allow-remote.
#include "testhttp.h"

#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

class TestServe : public QObject {
    Q_OBJECT

    QNetworkAccessManager m_nam;

    // Starts the host; returns its base URL once it says it listens.
    static QUrl startServe(QProcess &p, const QString &dataDir, QByteArray *out)
    {
        p.start(QStringLiteral(DESO_MEDIA_BIN), {QStringLiteral("--serve"), QStringLiteral("--port"), QStringLiteral("0"),
                                                 QStringLiteral("--data-dir"), dataDir});
        if (!p.waitForStarted(10000))
            return {};
        QElapsedTimer clock;
        clock.start();
        static const QRegularExpression re(QStringLiteral("listening on (http://127\\.0\\.0\\.1:\\d+)"));
        while (clock.elapsed() < 15000) {
            p.waitForReadyRead(200);
            *out += p.readAllStandardOutput();
            const auto m = re.match(QString::fromUtf8(*out));
            if (m.hasMatch())
                return QUrl(m.captured(1));
        }
        return {};
    }

private slots:
    void killedMidUploadThenResumed()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QByteArray bytes(300000, Qt::Uninitialized);
        QRandomGenerator gen(42);
        for (auto &b : bytes)
            b = char(gen.generate());

        QProcess first;
        QByteArray out;
        const QUrl base = startServe(first, dir.path(), &out);
        QVERIFY2(base.isValid(), out.constData());
        const HttpReply c = httpSend(m_nam, "POST", base.resolved(QUrl(QStringLiteral("/api/v0/upload-video"))),
                                     {{"Upload-Length", QByteArray::number(bytes.size())}});
        QCOMPARE(c.status, 200);
        const QString tusPath = QUrl(QString::fromLatin1(c.header("Location"))).path();
        const QByteArray id = c.header("Stream-Media-Id");
        const QList<QPair<QByteArray, QByteArray>> patchHeaders{{"Tus-Resumable", "1.0.0"},
                                                                 {"Content-Type", "application/offset+octet-stream"}};
        auto h = patchHeaders;
        h.emplaceBack("Upload-Offset", "0");
        QCOMPARE(httpSend(m_nam, "PATCH", base.resolved(QUrl(tusPath)), h, bytes.left(100000)).status, 204);
        // The request log reaches stdout.
        QTRY_VERIFY_WITH_TIMEOUT((out += first.readAllStandardOutput()).contains("PATCH /tus/"), 5000);
        QVERIFY(out.contains("POST /api/v0/upload-video 200"));
        QVERIFY2(!out.contains(QUrl(QString::fromLatin1(c.header("Location"))).path().toLatin1()), "tus token logged");

        first.kill(); // no chance to clean up: what was answered must be on disk
        QVERIFY(first.waitForFinished(10000));

        QProcess second;
        out.clear();
        const QUrl base2 = startServe(second, dir.path(), &out);
        QVERIFY2(base2.isValid(), out.constData());
        const HttpReply head = httpSend(m_nam, "HEAD", base2.resolved(QUrl(tusPath)), {{"Tus-Resumable", "1.0.0"}});
        QCOMPARE(head.status, 200);
        QCOMPARE(head.header("Upload-Offset"), QByteArray("100000"));
        QCOMPARE(head.header("Stream-Media-Id"), id);
        h = patchHeaders;
        h.emplaceBack("Upload-Offset", "100000");
        QCOMPARE(httpSend(m_nam, "PATCH", base2.resolved(QUrl(tusPath)), h, bytes.mid(100000)).status, 204);
        QCOMPARE(readFile(dir.filePath(QStringLiteral("uploads/") + QString::fromLatin1(id) + QStringLiteral("/data"))), bytes);

        ::kill(pid_t(second.processId()), SIGTERM);
        QVERIFY(second.waitForFinished(10000));
        QCOMPARE(second.exitStatus(), QProcess::NormalExit);
        QCOMPARE(second.exitCode(), 0);
        out += second.readAllStandardOutput();
        QVERIFY2(out.contains("stopping"), out.constData());
    }

    void nonLoopbackBindNeedsAllowRemote()
    {
        QTemporaryDir dir;
        QProcess p;
        p.start(QStringLiteral(DESO_MEDIA_BIN), {QStringLiteral("--serve"), QStringLiteral("--bind"), QStringLiteral("0.0.0.0"),
                                                 QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--data-dir"), dir.path()});
        QVERIFY(p.waitForFinished(15000));
        QCOMPARE(p.exitCode(), 1);
        QVERIFY2(p.readAllStandardError().contains("not a loopback address"), "no explanation on stderr");
    }
};

QTEST_GUILESS_MAIN(TestServe)
#include "tst_serve.moc"
