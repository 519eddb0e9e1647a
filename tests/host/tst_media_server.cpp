// The media-server contract on the real host (issue 13): a multipart upload-video
// streamed to disk, the Livepeer-style asset through its phases to ready, the
// direct-upload PUT URL and the tusEndpoint of the answer, enable-video-download,
// and every bad input refused with a sentence and nothing left behind; the
// legacy tus creation on the same path unchanged.
#include "eventwait.h"
#include "host/controllers/playbackcontroller.h"
#include "host/controllers/videoasset.h"
#include "host/controllers/videocontroller.h"
#include "host/hostsite.h"
#include "host/hoststorage.h"
#include "host/endpointhost.h"
#include "host/multipartstream.h"
#include "identity/jwt.h"
#include "identity/keys.h"
#include "nodetest/sampleclip.h"
#include "testfiles.h"
#include "testhttp.h"
#include "tus/tusuploader.h"

#include <QDir>
#include <QHttpMultiPart>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace deso;
using testcommon::sha256Of;
using testcommon::writeRandomFile;

namespace {

QJsonObject jsonOf(const HttpReply &r)
{
    return QJsonDocument::fromJson(r.body).object();
}

QString errorOf(const HttpReply &r)
{
    return jsonOf(r).value(QStringLiteral("error")).toString();
}

// Collects what the streaming parser reports, for its own tests.
struct RecordingSink : host::MultipartPartSink {
    QList<host::MultipartPart> parts;
    QList<QByteArray> data;
    int ends = 0;
    Status partBegin(const host::MultipartPart &part) override
    {
        parts.append(part);
        data.append(QByteArray());
        return {};
    }
    Status partData(const char *bytes, qint64 size) override
    {
        data.last().append(bytes, qsizetype(size));
        return {};
    }
    Status partEnd() override
    {
        ++ends;
        return {};
    }
};

// get-video-status as the host built it before its bodies were written directly and
// kept per record: a QJsonObject of the node's keys with the asset's merged in, written
// by QJsonDocument. The answers must stay these bytes.
QByteArray referenceStatusBody(const host::UploadRecord &r, const QByteArray &base)
{
    using host::VideoState;
    const bool ready = r.state == VideoState::Ready;
    QJsonObject o{
        {QStringLiteral("ReadyToStream"), ready},
        {QStringLiteral("Duration"), ready ? r.durationSeconds : 0.0},
        {QStringLiteral("Dimensions"), QJsonObject{{QStringLiteral("width"), ready ? r.width : 0},
                                                   {QStringLiteral("height"), ready ? r.height : 0}}},
        {QStringLiteral("state"), host::videoStateName(r.state)},
        {QStringLiteral("pctComplete"), QString::number(100.0 * host::videoCompletion(r), 'f', 1)},
    };
    if (r.state == VideoState::Error) {
        o.insert(QStringLiteral("errorReasonCode"), r.errorCode);
        o.insert(QStringLiteral("errorReasonText"), r.errorMessage);
    }
    if (ready) {
        o.insert(QStringLiteral("PlaybackURL"), QString::fromLatin1(base + host::PlaybackController::masterPlaylistPath(r.playbackId)));
        o.insert(QStringLiteral("ThumbnailURL"), QString::fromLatin1(base + host::PlaybackController::thumbnailPath(r.playbackId)));
        o.insert(QStringLiteral("DownloadURL"), QString::fromLatin1(base + host::PlaybackController::downloadPath(r.playbackId)));
    }
    if (!r.playbackId.isEmpty())
        o.insert(QStringLiteral("playbackId"), r.playbackId);
    const QString phase = host::videoAssetPhase(r);
    QJsonObject status{{QStringLiteral("phase"), phase}};
    if (phase == QLatin1String("uploading"))
        status.insert(QStringLiteral("progress"), r.length > 0 ? double(r.offset) / double(r.length) : 0.0);
    else if (phase == QLatin1String("processing"))
        status.insert(QStringLiteral("progress"), r.processingProgress);
    if (r.state == VideoState::Error)
        status.insert(QStringLiteral("errorMessage"), r.errorMessage);
    o.insert(QStringLiteral("id"), r.id);
    o.insert(QStringLiteral("playbackID"), host::videoPlaybackId(r));
    o.insert(QStringLiteral("name"), QString::fromUtf8(r.metadata.value(QStringLiteral("filename"))));
    o.insert(QStringLiteral("size"), r.length);
    o.insert(QStringLiteral("createdAt"), r.createdAt.toMSecsSinceEpoch());
    o.insert(QStringLiteral("status"), status);
    if (ready) {
        const QJsonObject track{{QStringLiteral("type"), QStringLiteral("video")},
                                {QStringLiteral("width"), r.width},
                                {QStringLiteral("height"), r.height}};
        o.insert(QStringLiteral("videoSpec"),
                 QJsonObject{{QStringLiteral("format"), r.mimeType.section(QLatin1Char('/'), 1)},
                             {QStringLiteral("duration"), r.durationSeconds},
                             {QStringLiteral("tracks"), QJsonArray{track}}});
        o.insert(QStringLiteral("playbackURL"), QString::fromLatin1(host::videoPlaybackUrl(r, base)));
        o.insert(QStringLiteral("downloadURL"), QString::fromLatin1(host::videoDownloadUrl(r, base)));
    }
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

} // namespace

class TestMediaServer : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<host::EndpointHost> m_host;
    QNetworkAccessManager m_nam;
    identity::PrivateKey m_key = identity::PrivateKey::generate();
    QString m_publicKey;
    QString m_clip;      // a real 2 s H.264 clip with 3 MiB of padding: many body pieces
    QByteArray m_clipHash;

    QUrl url(const QString &path) const { return m_host->baseUrl().resolved(QUrl(path)); }
    QString uploadsDir() const { return QDir(m_dir.path()).filePath(QStringLiteral("uploads")); }
    QStringList records() const
    {
        return QDir(uploadsDir()).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    }
    QStringList staged() const
    {
        return QDir(QDir(uploadsDir()).filePath(QStringLiteral(".incoming"))).entryList(QDir::Files);
    }

    // The SDK's form: credentials first, then the file (streamed from disk by QNAM).
    HttpReply postForm(const QString &jwt, const QString &filePath, const QByteArray &fileType = "video/mp4",
                       bool withFile = true, const QUrl &target = {})
    {
        auto *multi = new QHttpMultiPart(QHttpMultiPart::FormDataType);
        const auto text = [&](const QByteArray &name, const QByteArray &value) {
            QHttpPart part;
            part.setHeader(QNetworkRequest::ContentDispositionHeader, "form-data; name=\"" + name + '"');
            part.setBody(value);
            multi->append(part);
        };
        if (!jwt.isNull())
            text("JWT", jwt.toLatin1());
        text("UserPublicKeyBase58Check", m_publicKey.toLatin1());
        if (withFile) {
            QHttpPart part;
            part.setHeader(QNetworkRequest::ContentDispositionHeader, "form-data; name=\"file\"; filename=\"clip.mp4\"");
            part.setHeader(QNetworkRequest::ContentTypeHeader, fileType);
            auto *file = new QFile(filePath, multi);
            file->open(QIODevice::ReadOnly);
            part.setBodyDevice(file);
            multi->append(part);
        }
        QNetworkRequest request(target.isEmpty() ? url(QStringLiteral("/api/v0/upload-video")) : target);
        QNetworkReply *reply = m_nam.post(request, multi);
        multi->setParent(reply);
        QSignalSpy done(reply, &QNetworkReply::finished);
        if (!reply->isFinished())
            done.wait(30000);
        HttpReply r;
        r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        r.body = reply->readAll();
        r.error = reply->error();
        reply->deleteLater();
        return r;
    }

    QJsonObject statusOf(const QString &id)
    {
        return jsonOf(httpSend(m_nam, "GET", url(QStringLiteral("/api/v0/get-video-status/") + id)));
    }

    QString phaseOf(const QString &id)
    {
        return statusOf(id).value(QStringLiteral("status")).toObject().value(QStringLiteral("phase")).toString();
    }

    // Waits for a terminal phase (the probe runs on a pool thread) and returns it.
    QString settledPhase(const QString &id)
    {
        QString phase;
        waitUntil([&] {
            phase = phaseOf(id);
            return phase == QLatin1String("ready") || phase == QLatin1String("failed");
        }, 30000);
        return phase;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_publicKey = m_key.publicKey().toBase58Check(identity::Network::Mainnet);
        m_clip = QDir(m_dir.path()).filePath(QStringLiteral("clip.mp4"));
        const Status written = nodetest::writeSampleClip(m_clip, 3 * 1024 * 1024);
        QVERIFY2(written.ok(), qPrintable(written.ok() ? QString() : written.error().message));
        m_clipHash = sha256Of(m_clip);
        host::HostConfig c;
        c.dataDir = m_dir.path();
        c.mediaUploadMaxBytes = 8 * 1024 * 1024; // room for the clip, small enough to pass cheaply
        m_host = std::make_unique<host::EndpointHost>();
        const auto s = m_host->start(c);
        QVERIFY2(s.ok(), qPrintable(s.ok() ? QString() : s.error().message));
    }

    void streamParserSplitsPartsAtAnyPieceSize()
    {
        const QByteArray body = "preamble\r\n--xyz\r\nContent-Disposition: form-data; name=\"JWT\"\r\n\r\ntoken\r\n"
                                "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\n"
                                "Content-Type: video/mp4\r\n\r\nab\r\n--xy\r\ncd\r\n--xyz--\r\nepilogue";
        for (int piece : {1, 2, 3, 7, 1000}) {
            auto stream = host::MultipartStream::forContentType("multipart/form-data; boundary=xyz");
            QVERIFY(stream.ok());
            RecordingSink sink;
            for (qsizetype at = 0; at < body.size(); at += piece)
                QVERIFY(stream->feed(body.constData() + at, qMin<qsizetype>(piece, body.size() - at), sink).ok());
            QVERIFY(stream->finish().ok());
            QCOMPARE(sink.parts.size(), 2);
            QCOMPARE(sink.ends, 2);
            QCOMPARE(sink.parts[0].name, QByteArray("JWT"));
            QVERIFY(!sink.parts[0].isFile());
            QCOMPARE(sink.data[0], QByteArray("token"));
            QCOMPARE(sink.parts[1].fileName, QByteArray("a.mp4"));
            QCOMPARE(sink.parts[1].contentType, QByteArray("video/mp4"));
            QCOMPARE(sink.data[1], QByteArray("ab\r\n--xy\r\ncd")); // a near-delimiter stays data
        }
        auto truncated = host::MultipartStream::forContentType("multipart/form-data; boundary=xyz");
        RecordingSink sink;
        QVERIFY(truncated->feed(body.constData(), 60, sink).ok());
        QVERIFY(!truncated->finish().ok());
        QVERIFY(!host::MultipartStream::forContentType("multipart/form-data").ok());
    }

    void phasesFollowTheRecord()
    {
        host::UploadRecord r;
        r.id = QStringLiteral("0123456789abcdef0123456789abcdef");
        r.length = 100;
        r.offset = 40;
        QCOMPARE(host::videoAssetPhase(r), QStringLiteral("uploading"));
        r.offset = 100;
        QCOMPARE(host::videoAssetPhase(r), QStringLiteral("waiting"));
        r.state = host::VideoState::InProgress;
        QCOMPARE(host::videoAssetPhase(r), QStringLiteral("processing"));
        const auto bodyOf = [&r] { return QJsonDocument::fromJson(host::videoStatusBody(r, "http://h")).object(); };
        QVERIFY(!bodyOf().contains(QStringLiteral("playbackURL")));
        r.state = host::VideoState::Error;
        r.errorMessage = QStringLiteral("not a video");
        const QJsonObject failed = bodyOf();
        QCOMPARE(failed.value(QStringLiteral("status")).toObject().value(QStringLiteral("phase")).toString(), QStringLiteral("failed"));
        QCOMPARE(failed.value(QStringLiteral("status")).toObject().value(QStringLiteral("errorMessage")).toString(), r.errorMessage);
        r.state = host::VideoState::Ready;
        r.durationSeconds = 2;
        const QJsonObject ready = bodyOf();
        // No playback id from processing yet: the asset's id stands in; the stream is its HLS master playlist.
        QCOMPARE(ready.value(QStringLiteral("playbackURL")).toString(), QStringLiteral("http://h/hls/") + r.id + QStringLiteral("/master.m3u8"));
        QCOMPARE(ready.value(QStringLiteral("videoSpec")).toObject().value(QStringLiteral("duration")).toDouble(), 2.0);
    }

    // Every answer of get-video-status is the bytes the QJsonObject-built body had, and
    // a body kept for a record is rebuilt whenever anything it shows changes.
    void statusBodiesAreTodaysBytesAndFollowTheRecord()
    {
        QTemporaryDir dir;
        host::LocalDirStorage storage(dir.path());
        QVERIFY(storage.open().ok());
        host::UploadStore &store = storage.uploads();
        host::HostSite site;
        site.port = 8089;
        host::VideoController videos(site, storage);
        const auto created = store.create(1000, "filename ZsOpdMOpLm1wNC5tcDQ=", {{QStringLiteral("filename"), "\xc3\xa9t\xc3\xa9 \"1\".mp4"}},
                                          QDateTime::currentDateTimeUtc().addDays(1));
        QVERIFY(created.ok());
        host::UploadRecord &r = *created.value();
        host::HttpRequest request;
        request.method = "GET";
        request.headers.emplaceBack("host", "localhost:8089");
        host::HttpRequest proxied = request;
        proxied.headers[0].second = "127.0.0.1:9000";
        const auto check = [&](const host::HttpRequest &req, const QByteArray &base, const char *what) {
            const host::HttpResponse answer = videos.status(req, r.id);
            QCOMPARE(answer.status, 200);
            QVERIFY2(answer.body == referenceStatusBody(r, base), qPrintable(QString::fromLatin1(what) + QLatin1Char('\n')
                                                                              + QString::fromUtf8(answer.body) + QLatin1Char('\n')
                                                                              + QString::fromUtf8(referenceStatusBody(r, base))));
        };
        check(request, "http://localhost:8089", "created");
        check(request, "http://localhost:8089", "asked again");
        r.offset = 333;
        check(request, "http://localhost:8089", "bytes arrived");
        r.offset = 1000;
        r.state = host::VideoState::Queued;
        check(request, "http://localhost:8089", "queued");
        r.state = host::VideoState::InProgress;
        r.processingProgress = 0.25;
        check(request, "http://localhost:8089", "processing");
        r.processingProgress = 0.7;
        check(request, "http://localhost:8089", "processing further");
        r.playbackId = QStringLiteral("fedcba9876543210fedcba9876543210");
        check(request, "http://localhost:8089", "playback id");
        r.state = host::VideoState::Ready;
        r.durationSeconds = 2.5;
        r.width = 1280;
        r.height = 720;
        r.mimeType = QStringLiteral("video/mp4");
        check(request, "http://localhost:8089", "ready");
        check(proxied, "http://127.0.0.1:9000", "ready, reached by another name");
        check(request, "http://localhost:8089", "ready, the first name again");
        r.mimeType = QStringLiteral("video/quicktime");
        check(request, "http://localhost:8089", "format");
        r.state = host::VideoState::Error;
        r.errorCode = QStringLiteral("ERR_MALFORMED_VIDEO");
        r.errorMessage = QStringLiteral("Truncated \"moov\"\tbox");
        check(request, "http://localhost:8089", "failed");
        r.errorMessage = QStringLiteral("Another sentence.");
        check(request, "http://localhost:8089", "failed, new sentence");
        r.offset = 10;
        check(request, "http://localhost:8089", "failed while uploading");
    }

    void multipartUploadBecomesReadyAsset()
    {
        const HttpReply r = postForm(identity::signJwt(m_key), m_clip);
        QCOMPARE(r.status, 200);
        const QJsonObject answer = jsonOf(r);
        const QString id = answer.value(QStringLiteral("asset")).toObject().value(QStringLiteral("id")).toString();
        QVERIFY2(!id.isEmpty(), r.body.constData());
        const QString playbackId = answer.value(QStringLiteral("asset")).toObject().value(QStringLiteral("playbackId")).toString();
        QCOMPARE(playbackId.size(), 32); // processing's own id, not the asset's
        QCOMPARE(answer.value(QStringLiteral("tusEndpoint")).toString(), url(QStringLiteral("/api/v0/upload-video")).toString());
        QVERIFY(answer.value(QStringLiteral("url")).toString().startsWith(url(QStringLiteral("/api/v0/direct-upload/")).toString()));
        QCOMPARE(sha256Of(QDir(uploadsDir()).filePath(id + QStringLiteral("/data"))), m_clipHash);
        QVERIFY(staged().isEmpty());

        QCOMPARE(settledPhase(id), QStringLiteral("ready"));
        const QJsonObject asset = statusOf(id);
        QCOMPARE(asset.value(QStringLiteral("id")).toString(), id);
        QCOMPARE(asset.value(QStringLiteral("playbackID")).toString(), playbackId);
        QCOMPARE(asset.value(QStringLiteral("name")).toString(), QStringLiteral("clip.mp4"));
        QVERIFY(asset.value(QStringLiteral("videoSpec")).toObject().value(QStringLiteral("duration")).toDouble() > 1.5);
        QCOMPARE(asset.value(QStringLiteral("ReadyToStream")).toBool(), true); // the node's keys too
        for (const char *key : {"playbackURL", "downloadURL"}) {
            const HttpReply bytes = httpSend(m_nam, "GET", QUrl(asset.value(QLatin1String(key)).toString()));
            QCOMPARE(bytes.status, 200);
            QVERIFY(asset.value(QLatin1String(key)).toString().contains(playbackId));
            // The HLS master playlist, or the processed MP4 (moov before mdat).
            if (QLatin1String(key) == QLatin1String("playbackURL"))
                QVERIFY2(bytes.body.startsWith("#EXTM3U"), bytes.body.left(80).constData());
            else
                QVERIFY(bytes.body.mid(4, 4) == "ftyp" && bytes.body.indexOf("moov") < bytes.body.indexOf("mdat"));
        }
    }

    void badJwtLeavesNothing()
    {
        const QStringList before = records();
        const HttpReply r = postForm(identity::signJwt(identity::PrivateKey::generate()), m_clip);
        QCOMPARE(r.status, 400);
        QVERIFY2(errorOf(r).startsWith(QStringLiteral("UploadVideo: Invalid token: ")), r.body.constData());
        const HttpReply none = postForm(QString(), m_clip);
        QCOMPARE(none.status, 400);
        QCOMPARE(errorOf(none), QStringLiteral("No JWT provided"));
        QCOMPARE(records(), before);
        QVERIFY(staged().isEmpty());
    }

    void formWithoutFileOrWithNonVideoIsRefused()
    {
        const QStringList before = records();
        const HttpReply noFile = postForm(identity::signJwt(m_key), m_clip, "video/mp4", false);
        QCOMPARE(noFile.status, 400);
        QCOMPARE(errorOf(noFile), QStringLiteral("UploadVideo: Problem getting file from form data: http: no such file"));
        const HttpReply text = postForm(identity::signJwt(m_key), m_clip, "text/plain");
        QCOMPARE(text.status, 400);
        QVERIFY2(errorOf(text).contains(QStringLiteral("is not a video")), text.body.constData());
        QCOMPARE(records(), before);
        QVERIFY(staged().isEmpty());
    }

    void nonVideoBytesFailWithErrorMessage()
    {
        const QString junk = QDir(m_dir.path()).filePath(QStringLiteral("junk.mp4"));
        QVERIFY(writeRandomFile(junk, 64 * 1024, 7));
        const HttpReply r = postForm(identity::signJwt(m_key), junk);
        QCOMPARE(r.status, 200);
        const QString id = jsonOf(r).value(QStringLiteral("asset")).toObject().value(QStringLiteral("id")).toString();
        QCOMPARE(settledPhase(id), QStringLiteral("failed"));
        QVERIFY(!statusOf(id).value(QStringLiteral("status")).toObject().value(QStringLiteral("errorMessage")).toString().isEmpty());
    }

    void overLimitIsRefusedFromTheHead()
    {
        const QStringList before = records();
        const QByteArray head = "POST /api/v0/upload-video HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 999999999\r\n\r\n";
        const QByteArray answer = rawExchange(m_host->port(), head);
        QVERIFY2(answer.startsWith("HTTP/1.1 413"), answer.constData());
        QCOMPARE(records(), before);
    }

    void chunkedBodyPastTheLimitIsRemoved()
    {
        const QStringList before = records();
        QByteArray body = "--b\r\nContent-Disposition: form-data; name=\"JWT\"\r\n\r\n" + identity::signJwt(m_key).toLatin1()
                          + "\r\n--b\r\nContent-Disposition: form-data; name=\"UserPublicKeyBase58Check\"\r\n\r\n"
                          + m_publicKey.toLatin1()
                          + "\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.mp4\"\r\n"
                            "Content-Type: video/mp4\r\n\r\n";
        QByteArray request = "POST /api/v0/upload-video HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                             "Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n";
        request += QByteArray::number(body.size(), 16) + "\r\n" + body + "\r\n";
        const QByteArray megabyte(1024 * 1024, 'v');
        for (int i = 0; i < 9; ++i) // past the 8 MiB file limit, under the body bound by the chunk framing
            request += QByteArray::number(megabyte.size(), 16) + "\r\n" + megabyte + "\r\n";
        request += "0\r\n\r\n";
        const QByteArray answer = rawExchange(m_host->port(), request);
        QVERIFY2(answer.startsWith("HTTP/1.1 413"), answer.left(300).constData());
        QCOMPARE(records(), before);
        QVERIFY(staged().isEmpty());
    }

    void cutConnectionLeavesNoAsset()
    {
        const QStringList before = records();
        const QByteArray prefix = "--b\r\nContent-Disposition: form-data; name=\"JWT\"\r\n\r\n" + identity::signJwt(m_key).toLatin1()
                                  + "\r\n--b\r\nContent-Disposition: form-data; name=\"UserPublicKeyBase58Check\"\r\n\r\n"
                                  + m_publicKey.toLatin1()
                                  + "\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.mp4\"\r\n"
                                    "Content-Type: video/mp4\r\n\r\n";
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_host->port());
        QVERIFY(socket.waitForConnected(10000));
        socket.write("POST /api/v0/upload-video HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 4000000\r\n\r\n");
        socket.write(prefix);
        socket.write(QByteArray(512 * 1024, 'v'));
        // The file part is on disk, half-written: then the client goes away.
        DESO_WAIT_VERIFY(!staged().isEmpty(), 20000);
        socket.abort();
        DESO_WAIT_VERIFY(staged().isEmpty(), 20000);
        QCOMPARE(records(), before);
    }

    void unknownAssetIs404Json()
    {
        const HttpReply r = httpSend(m_nam, "GET", url(QStringLiteral("/api/v0/get-video-status/0123456789abcdef0123456789abcdef")));
        QCOMPARE(r.status, 404);
        QVERIFY(!errorOf(r).isEmpty());
    }

    void directUploadUrlTakesOnePut()
    {
        const HttpReply created = postForm(identity::signJwt(m_key), m_clip);
        QCOMPARE(created.status, 200);
        const QUrl direct(jsonOf(created).value(QStringLiteral("url")).toString());
        const QByteArray bytes = readFile(m_clip);
        const HttpReply put = httpSend(m_nam, "PUT", direct, {{"Content-Type", "video/mp4"}}, bytes);
        QCOMPARE(put.status, 200);
        const QString id = jsonOf(put).value(QStringLiteral("asset")).toObject().value(QStringLiteral("id")).toString();
        QVERIFY(!id.isEmpty());
        QCOMPARE(settledPhase(id), QStringLiteral("ready"));
        QCOMPARE(sha256Of(QDir(uploadsDir()).filePath(id + QStringLiteral("/data"))), m_clipHash);
        const HttpReply again = httpSend(m_nam, "PUT", direct, {{"Content-Type", "video/mp4"}}, bytes);
        QCOMPARE(again.status, 404);
        const HttpReply guessed = httpSend(m_nam, "PUT", url(QStringLiteral("/api/v0/direct-upload/abc")), {}, bytes);
        QCOMPARE(guessed.status, 404);
    }

    void tusEndpointServesTheProjectsTusUploader()
    {
        const HttpReply created = postForm(identity::signJwt(m_key), m_clip);
        const QUrl tusEndpoint(jsonOf(created).value(QStringLiteral("tusEndpoint")).toString());
        tus::TusOptions options;
        options.resume = false;
        options.chunkSize = tus::kMinChunkSize;
        options.storeFile = QDir(m_dir.path()).filePath(QStringLiteral("tus-store.json"));
        tus::TusUploader uploader(tusEndpoint, m_clip, options);
        bool finished = false;
        QString failure;
        connect(&uploader, &tus::TusUploader::finished, this, [&] { finished = true; });
        connect(&uploader, &tus::TusUploader::failed, this, [&](const Error &e) { failure = e.message; });
        uploader.start();
        DESO_WAIT_VERIFY(finished || !failure.isEmpty(), 30000);
        QVERIFY2(finished, qPrintable(failure));
        QCOMPARE(settledPhase(uploader.mediaId()), QStringLiteral("ready"));
        QVERIFY(statusOf(uploader.mediaId()).value(QStringLiteral("ReadyToStream")).toBool());
    }

    void legacyTusCreationUnchanged()
    {
        const HttpReply r = httpSend(m_nam, "POST", url(QStringLiteral("/api/v0/upload-video")),
                                     {{"Tus-Resumable", "1.0.0"}, {"Upload-Length", "10"}});
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("Location").contains("/tus/"));
        QCOMPARE(r.header("Stream-Media-Id").size(), 32);
        QVERIFY(r.body.isEmpty());
        const QJsonObject status = statusOf(QString::fromLatin1(r.header("Stream-Media-Id")));
        QCOMPARE(status.value(QStringLiteral("state")).toString(), QStringLiteral("pendingupload"));
        QCOMPARE(status.value(QStringLiteral("status")).toObject().value(QStringLiteral("phase")).toString(), QStringLiteral("uploading"));
    }

    void enableVideoDownload()
    {
        const HttpReply created = postForm(identity::signJwt(m_key), m_clip);
        const QString id = jsonOf(created).value(QStringLiteral("asset")).toObject().value(QStringLiteral("id")).toString();
        QCOMPARE(settledPhase(id), QStringLiteral("ready"));
        const HttpReply r = httpSend(m_nam, "POST", url(QStringLiteral("/api/v0/enable-video-download/") + id));
        QCOMPARE(r.status, 200);
        const QJsonObject def = jsonOf(r).value(QStringLiteral("Default")).toObject();
        QCOMPARE(def.value(QStringLiteral("status")).toString(), QStringLiteral("ready"));
        QCOMPARE(def.value(QStringLiteral("percentComplete")).toDouble(), 100.0);
        const HttpReply file = httpSend(m_nam, "GET", QUrl(def.value(QStringLiteral("url")).toString()));
        QCOMPARE(file.status, 200);
        QVERIFY(file.body.mid(4, 4) == "ftyp" && file.body.indexOf("moov") < file.body.indexOf("mdat")); // the download MP4
        QCOMPARE(httpSend(m_nam, "POST", url(QStringLiteral("/api/v0/enable-video-download/0123456789abcdef0123456789abcdef"))).status, 404);
        QCOMPARE(httpSend(m_nam, "POST", url(QStringLiteral("/api/v0/enable-video-download/NOPE"))).status, 400);
        QCOMPARE(httpSend(m_nam, "GET", url(QStringLiteral("/api/v0/enable-video-download/") + id)).status, 405);
    }

    void cleanupTestCase() { m_host.reset(); }
};

QTEST_MAIN(TestMediaServer)
#include "tst_media_server.moc"
