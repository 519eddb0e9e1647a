// The front door's pure pieces (core/host/http/httpmessage.h): head parsing and
// body framing, byte ranges, and the JSON it writes, compared with Qt's own writer.
#include "host/http/httpmessage.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QTest>

using namespace deso::host;

class TestHttpMessage : public QObject {
    Q_OBJECT
private slots:
    void parsesAHead()
    {
        auto r = parseRequestHead("GET /api/v0/x?y=1 HTTP/1.1\r\nHost: a:1\r\nX-Thing:  v w \r\n\r\n");
        QVERIFY(r.ok());
        QCOMPARE(r->method, QByteArray("GET"));
        QCOMPARE(r->path(), QByteArray("/api/v0/x"));
        QCOMPARE(r->query(), QByteArray("y=1"));
        QCOMPARE(r->header("x-thing"), QByteArray("v w"));
        QCOMPARE(r->framing, BodyFraming::None);
        QVERIFY(r->wantsKeepAlive());
    }

    void framing_data()
    {
        QTest::addColumn<QByteArray>("headers");
        QTest::addColumn<int>("status"); // 0 = accepted
        QTest::addColumn<int>("framing");
        QTest::addColumn<qint64>("length");
        QTest::newRow("none") << QByteArray() << 0 << int(BodyFraming::None) << qint64(0);
        QTest::newRow("length") << QByteArray("Content-Length: 42\r\n") << 0 << int(BodyFraming::Length) << qint64(42);
        QTest::newRow("chunked") << QByteArray("Transfer-Encoding: Chunked\r\n") << 0 << int(BodyFraming::Chunked) << qint64(0);
        QTest::newRow("twice") << QByteArray("Content-Length: 5\r\nContent-Length: 5\r\n") << 400 << 0 << qint64(0);
        QTest::newRow("listed") << QByteArray("Content-Length: 5, 5\r\n") << 400 << 0 << qint64(0);
        QTest::newRow("signed") << QByteArray("Content-Length: +5\r\n") << 400 << 0 << qint64(0);
        QTest::newRow("19 digits") << QByteArray("Content-Length: 1000000000000000000\r\n") << 400 << 0 << qint64(0);
        QTest::newRow("both") << QByteArray("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n") << 400 << 0 << qint64(0);
        QTest::newRow("gzip") << QByteArray("Transfer-Encoding: gzip, chunked\r\n") << 501 << 0 << qint64(0);
    }

    void framing()
    {
        QFETCH(QByteArray, headers);
        QFETCH(int, status);
        QFETCH(int, framing);
        QFETCH(qint64, length);
        auto r = parseRequestHead("POST / HTTP/1.1\r\nHost: a\r\n" + headers + "\r\n");
        if (status) {
            QVERIFY(!r.ok());
            QCOMPARE(r.error().httpStatus, status);
            return;
        }
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
        QCOMPARE(int(r->framing), framing);
        QCOMPARE(r->contentLength, length);
    }

    void refusesMalformedHeads_data()
    {
        QTest::addColumn<QByteArray>("head");
        QTest::newRow("no blank line") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\n");
        QTest::newRow("two spaces") << QByteArray("GET  / HTTP/1.1\r\n\r\n");
        QTest::newRow("folding") << QByteArray("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n");
        QTest::newRow("bare CR in value") << QByteArray("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n");
        QTest::newRow("NUL in value") << QByteArray("GET / HTTP/1.1\r\nA: b\0c\r\n\r\n", 27);
        QTest::newRow("space in name") << QByteArray("GET / HTTP/1.1\r\nA b: c\r\n\r\n");
        QTest::newRow("no colon") << QByteArray("GET / HTTP/1.1\r\nAb\r\n\r\n");
        QTest::newRow("LF only header") << QByteArray("GET / HTTP/1.1\r\nA: b\n\r\n");
        QTest::newRow("not HTTP") << QByteArray("GET / FTP/1.1\r\n\r\n");
    }

    void refusesMalformedHeads()
    {
        QFETCH(QByteArray, head);
        auto r = parseRequestHead(head);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().httpStatus, 400);
        QCOMPARE(parseRequestHead("GET / HTTP/1.2\r\n\r\n").error().httpStatus, 505);
    }

    void byteRanges_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<int>("kind");
        QTest::addColumn<qint64>("first");
        QTest::addColumn<qint64>("last");
        const int whole = int(ByteRange::Kind::Whole), partial = int(ByteRange::Kind::Partial),
                  none = int(ByteRange::Kind::Unsatisfiable);
        QTest::newRow("absent") << QByteArray() << whole << qint64(0) << qint64(999);
        QTest::newRow("first 100") << QByteArray("bytes=0-99") << partial << qint64(0) << qint64(99);
        QTest::newRow("suffix") << QByteArray("bytes=-100") << partial << qint64(900) << qint64(999);
        QTest::newRow("suffix over size") << QByteArray("bytes=-5000") << partial << qint64(0) << qint64(999);
        QTest::newRow("open") << QByteArray("bytes=100-") << partial << qint64(100) << qint64(999);
        QTest::newRow("past end clamps") << QByteArray("bytes=990-5000") << partial << qint64(990) << qint64(999);
        QTest::newRow("beyond") << QByteArray("bytes=1000-") << none << qint64(0) << qint64(-1);
        QTest::newRow("empty suffix") << QByteArray("bytes=-0") << none << qint64(0) << qint64(-1);
        QTest::newRow("several") << QByteArray("bytes=0-1,5-6") << whole << qint64(0) << qint64(999);
        QTest::newRow("reversed") << QByteArray("bytes=9-1") << whole << qint64(0) << qint64(999);
        QTest::newRow("other unit") << QByteArray("items=0-1") << whole << qint64(0) << qint64(999);
    }

    void byteRanges()
    {
        QFETCH(QByteArray, header);
        QFETCH(int, kind);
        QFETCH(qint64, first);
        QFETCH(qint64, last);
        const ByteRange r = parseByteRange(header, 1000);
        QCOMPARE(int(r.kind), kind);
        if (r.kind != ByteRange::Kind::Unsatisfiable) {
            QCOMPARE(r.first, first);
            QCOMPARE(r.last, last);
        }
    }

    void fileAnswers()
    {
        const HttpResponse partial = HttpResponse::file(QStringLiteral("/x"), 1000, "video/mp4", "bytes=-100");
        QCOMPARE(partial.status, 206);
        QCOMPARE(partial.header("Content-Range"), QByteArray("bytes 900-999/1000"));
        QCOMPARE(partial.fileOffset, qint64(900));
        QCOMPARE(partial.fileLength, qint64(100));
        const HttpResponse bad = HttpResponse::file(QStringLiteral("/x"), 1000, "video/mp4", "bytes=2000-");
        QCOMPARE(bad.status, 416);
        QCOMPARE(bad.header("Content-Range"), QByteArray("bytes */1000"));
    }

    void jsonWriterMatchesQtsWriter()
    {
        // Keys given in QJsonObject's order; every kind of value the answers write.
        JsonWriter w;
        w.beginObject();
        w.key("Dimensions").beginObject().key("height").value(0).key("width").value(1920).endObject();
        w.key("Duration").value(2.0);
        w.key("ReadyToStream").value(true);
        w.key("a").beginArray().value(qint64(1796196902278)).value(0.1).value(-7).value(false).endArray();
        w.key("big").value(1e300);
        w.key("e").beginArray().endArray();
        w.key("name").value(QStringLiteral("\u00e9t\u00e9 \"1\"\n\x01.mp4"));
        w.key("o").beginObject().endObject();
        w.key("progress").value(1.0 / 3.0);
        w.key("url").latin1("http://127.0.0.1:8089/hls/x/master.m3u8");
        w.key("zlatin").latin1("caf\xe9");
        w.endObject();
        const QJsonObject reference{
            {"Dimensions", QJsonObject{{"width", 1920}, {"height", 0}}}, {"Duration", 2.0}, {"ReadyToStream", true},
            {"a", QJsonArray{qint64(1796196902278), 0.1, -7, false}}, {"big", 1e300}, {"e", QJsonArray{}},
            {"name", QStringLiteral("\u00e9t\u00e9 \"1\"\n\x01.mp4")}, {"o", QJsonObject{}}, {"progress", 1.0 / 3.0},
            {"url", "http://127.0.0.1:8089/hls/x/master.m3u8"}, {"zlatin", QString::fromLatin1("caf\xe9")}};
        QCOMPARE(w.take(), QJsonDocument(reference).toJson(QJsonDocument::Compact));
    }

    void httpDateIsTheImfFixdate()
    {
        for (const QDateTime &at : {QDateTime(QDate(1994, 11, 6), QTime(8, 49, 37), Qt::UTC),
                                    QDateTime(QDate(2026, 12, 2), QTime(23, 59, 59), Qt::UTC),
                                    QDateTime(QDate(2024, 2, 29), QTime(0, 0, 0), Qt::OffsetFromUTC, 3600),
                                    QDateTime::currentDateTimeUtc()})
            QCOMPARE(httpDate(at), QLocale::c().toString(at.toUTC(), QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'")).toLatin1());
        QCOMPARE(httpDate(QDateTime(QDate(1994, 11, 6), QTime(8, 49, 37), Qt::UTC)), QByteArray("Sun, 06 Nov 1994 08:49:37 GMT"));
        QVERIFY(httpDate(QDateTime()).isEmpty());
    }

    void jsonMatchesQtsWriter()
    {
        const QJsonObject o{{"ReadyToStream", true}, {"Duration", 2.0}, {"d", 2.5}, {"n", QJsonValue()},
                            {"s", QStringLiteral("a\"b\\c\n\x01\u00e9/\u2028")},
                            {"Dimensions", QJsonObject{{"width", 640}, {"height", 0}}},
                            {"arr", QJsonArray{1, "x", false, 1e300, 0.1, -7}}, {"pct", "100.0"}};
        const QByteArray mine = HttpResponse::json(200, o).body;
        QCOMPARE(QJsonDocument::fromJson(mine).object(), o);
        QCOMPARE(mine, QJsonDocument(o).toJson(QJsonDocument::Compact));
        const QString message = QStringLiteral("No video with id \"x\"\t\u00fc");
        QCOMPARE(jsonErrorBody(message), QJsonDocument(QJsonObject{{"error", message}}).toJson(QJsonDocument::Compact));
    }
};

QTEST_GUILESS_MAIN(TestHttpMessage)
#include "tst_http_message.moc"
