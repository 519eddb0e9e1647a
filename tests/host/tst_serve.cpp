// `deso-media --serve` as a real process: request log on stdout, a kill in
// the middle of an upload and a resume after restart, clean SIGTERM, and the
// refusal of a non-loopback bind without --allow-remote, and the flags for the
// front door's limits, allowed origins and names, and the storage bound.
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
    static QUrl startServe(QProcess &p, const QString &dataDir, QByteArray *out, const QStringList &extraArgs = {})
    {
        p.start(QStringLiteral(DESO_MEDIA_BIN), QStringList{QStringLiteral("--serve"), QStringLiteral("--port"), QStringLiteral("0"),
                                                            QStringLiteral("--data-dir"), dataDir} + extraArgs);
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

    void limitAndBrowserFlagsReachTheHost()
    {
        QTemporaryDir dir;
        QProcess p;
        QByteArray out;
        const QUrl base = startServe(p, dir.path(), &out,
                                     {QStringLiteral("--head-timeout"), QStringLiteral("1"), QStringLiteral("--keepalive-timeout"),
                                      QStringLiteral("2"), QStringLiteral("--max-connections"), QStringLiteral("5"),
                                      QStringLiteral("--allow-origin"), QStringLiteral("https://app.example"),
                                      QStringLiteral("--allow-host"), QStringLiteral("media.lan"),
                                      QStringLiteral("--max-storage"), QStringLiteral("1M")});
        QVERIFY2(base.isValid(), out.constData());
        QTRY_VERIFY_WITH_TIMEOUT((out += p.readAllStandardOutput()).contains("at most 5 connections"), 10000);
        QVERIFY2(out.contains("head timeout 1 s") && out.contains("keep-alive 2 s"), out.constData());
        const quint16 port = quint16(base.port());
        // A head that never completes: 408 after a second.
        QByteArray answer = rawExchange(port, "GET /api/v0/get-video-status/x HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        QVERIFY2(answer.startsWith("HTTP/1.1 408"), answer.constData());
        // 1 MiB of storage: a 2 MiB upload does not fit.
        answer = rawExchange(port, "POST /api/v0/upload-video HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
                                   "Upload-Length: 2097152\r\nConnection: close\r\n\r\n");
        QVERIFY2(answer.startsWith("HTTP/1.1 507"), answer.constData());
        // The allowed origin gets CORS; another does not; the allowed name is served.
        answer = rawExchange(port, "OPTIONS /api/v0/upload-video HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://app.example\r\n"
                                   "Access-Control-Request-Method: POST\r\nConnection: close\r\n\r\n");
        QVERIFY2(answer.contains("Access-Control-Allow-Origin: https://app.example"), answer.constData());
        answer = rawExchange(port, "OPTIONS /api/v0/upload-video HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://evil.example\r\n"
                                   "Access-Control-Request-Method: POST\r\nConnection: close\r\n\r\n");
        QVERIFY2(!answer.contains("Access-Control-Allow-Origin"), answer.constData());
        answer = rawExchange(port, "GET /api/v0/get-video-status/0123456789abcdef0123456789abcdef HTTP/1.1\r\nHost: media.lan:8089\r\n"
                                   "Connection: close\r\n\r\n");
        QVERIFY2(answer.startsWith("HTTP/1.1 404"), answer.constData()); // served: there is no such video
        answer = rawExchange(port, "GET /api/v0/get-video-status/0123456789abcdef0123456789abcdef HTTP/1.1\r\nHost: evil.example\r\n"
                                   "Connection: close\r\n\r\n");
        QVERIFY2(answer.startsWith("HTTP/1.1 421"), answer.constData());
        p.terminate();
        QVERIFY(p.waitForFinished(15000));
    }

    void badLimitFlagsAreRefused_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("sentence");
        QTest::newRow("head timeout 0") << QStringList{QStringLiteral("--head-timeout"), QStringLiteral("0")} << QByteArray("--head-timeout needs");
        QTest::newRow("body timeout text") << QStringList{QStringLiteral("--body-timeout"), QStringLiteral("soon")} << QByteArray("--body-timeout needs");
        QTest::newRow("no connections") << QStringList{QStringLiteral("--max-connections"), QStringLiteral("0")} << QByteArray("--max-connections needs");
        QTest::newRow("storage words") << QStringList{QStringLiteral("--max-storage"), QStringLiteral("lots")} << QByteArray("--max-storage needs");
    }

    void badLimitFlagsAreRefused()
    {
        QFETCH(QStringList, args);
        QFETCH(QByteArray, sentence);
        QTemporaryDir dir;
        QProcess p;
        p.start(QStringLiteral(DESO_MEDIA_BIN), QStringList{QStringLiteral("--serve"), QStringLiteral("--port"), QStringLiteral("0"),
                                                            QStringLiteral("--data-dir"), dir.path()} + args);
        QVERIFY(p.waitForFinished(15000));
        QCOMPARE(p.exitCode(), 2);
        const QByteArray err = p.readAllStandardError();
        QVERIFY2(err.contains(sentence), err.constData());
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
