// NodeClient and VideoStatusPoller against the project's EndpointHost on loopback: URL
// building, answers parsed, every failure a value (the node's sentence, the HTTP status,
// or the network error), polling until ready / error / timeout, TikTok through a fake
// redirector.
#include "eventwait.h"
#include "identity/jwt.h"
#include "identity/keys.h"
#include "testfiles.h"
#include "testhost.h"
#include "node/nodeclient.h"
#include "tus/tusuploader.h"
#include "upload/uploadfile.h"

#include <QHttpServer>
#include <QImage>
#include <QImageReader>
#include <QBuffer>
#include <QHttpServerResponder>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

using deso::Error;
using deso::Result;
using deso::node::NodeClient;
using deso::node::PollOptions;
using deso::node::VideoStatus;
using deso::node::VideoStatusPoller;

namespace {

template <typename T>
struct Answer {
    std::optional<Result<T>> result;
    std::function<void(Result<T>)> callback()
    {
        return [this](Result<T> r) { result.emplace(std::move(r)); };
    }
};

// The image part as the upload layer prepares it (made acceptable, or as is).
deso::node::ImagePart preparedPart(const QString &path, bool makeAcceptable)
{
    auto part = deso::upload::prepareImage(path, makeAcceptable);
    return part ? part.value() : deso::node::ImagePart{};
}

} // namespace

class TestClient : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    // Uploads a file to the server with tus and returns its media id.
    QString uploadVideo(const QUrl &endpoint, const QString &path)
    {
        deso::tus::TusOptions o;
        o.storeFile = m_dir.filePath(QStringLiteral("store.json"));
        o.resume = false;
        deso::tus::TusUploader up(endpoint, path, o);
        QSignalSpy done(&up, &deso::tus::TusUploader::finished);
        up.start();
        if (!waitUntil([&] { return !done.isEmpty() || up.state() == deso::tus::TusUploader::State::Failed; }, 20000)
            || done.isEmpty())
            return {};
        return up.mediaId();
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
    }

    void endpointsKeepTheBasePath()
    {
        NodeClient plain(QUrl(QStringLiteral("https://node.deso.org")));
        QCOMPARE(plain.endpoint(QStringLiteral("upload-image")).toString(), QStringLiteral("https://node.deso.org/api/v0/upload-image"));
        QCOMPARE(plain.videoUploadEndpoint().toString(), QStringLiteral("https://node.deso.org/api/v0/upload-video"));
        NodeClient prefixed(QUrl(QStringLiteral("http://127.0.0.1:8080/deso/?x=1")));
        QCOMPARE(prefixed.endpoint(QStringLiteral("get-video-status/abc")).toString(),
                 QStringLiteral("http://127.0.0.1:8080/deso/api/v0/get-video-status/abc"));
    }

    void videoStatusParsesTheNodeAndHostForms()
    {
        const auto parse = [](const char *json) {
            return VideoStatus::fromJson(QStringLiteral("id"), QJsonDocument::fromJson(json).object());
        };
        const VideoStatus node = parse(R"({"ReadyToStream":true,"Duration":12.5,"Dimensions":{"width":1920,"height":1080}})");
        QVERIFY(node.readyToStream);
        QCOMPARE(node.duration, 12.5);
        QCOMPARE(node.width, 1920);
        QCOMPARE(node.height, 1080);
        QVERIFY(!node.isError());
        const VideoStatus hostError = parse(R"({"ReadyToStream":false,"Duration":0,"Dimensions":{"width":0,"height":0},
            "state":"error","errorReasonCode":"ERR_NON_VIDEO","errorReasonText":"Not a video."})");
        QVERIFY(hostError.isError());
        QCOMPARE(hostError.errorCode, QStringLiteral("ERR_NON_VIDEO"));
        QCOMPARE(hostError.errorMessage, QStringLiteral("Not a video."));
        const VideoStatus nested = parse(R"({"ReadyToStream":false,"status":{"state":"inprogress"}})");
        QCOMPARE(nested.state, QStringLiteral("inprogress"));
        QVERIFY(!nested.isError());
    }

    void networkErrorsAreValues()
    {
        NodeClient client(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(testcommon::freeLoopbackPort())));
        QSignalSpy exchanges(&client, &NodeClient::exchanged);
        Answer<VideoStatus> status;
        client.getVideoStatus(QStringLiteral("0123456789abcdef0123456789abcdef"), this, status.callback());
        DESO_WAIT_VERIFY(status.result.has_value(), 10000);
        QCOMPARE(exchanges.size(), 1);
        const auto x = exchanges.first().first().value<deso::node::HttpExchange>();
        QCOMPARE(x.status, 0);
        QVERIFY(!x.networkError.isEmpty());
        QVERIFY2(x.toText().contains(QStringLiteral("-> no answer after")), qPrintable(x.toText()));
        QVERIFY(x.toText().startsWith(QStringLiteral("GET http://127.0.0.1:")));
        QVERIFY(!status.result->ok());
        QCOMPARE(status.result->error().code, QStringLiteral("network.error"));
        QCOMPARE(status.result->error().httpStatus, 0);
        QVERIFY2(status.result->error().message.contains(QStringLiteral("refused")), qPrintable(status.result->error().message));
    }

    void aMissingImageFailsBeforeSending()
    {
        NodeClient client(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(testcommon::freeLoopbackPort())));
        Answer<deso::node::ImageUpload> upload;
        deso::node::ImagePart part;
        part.sourcePath = m_dir.filePath(QStringLiteral("nope.png"));
        part.fileName = QStringLiteral("nope.png");
        part.contentType = QStringLiteral("image/png");
        client.uploadImage(part, QStringLiteral("pk"), QStringLiteral("jwt"), this, upload.callback());
        DESO_WAIT_VERIFY(upload.result.has_value(), 5000);
        QCOMPARE(upload.result->error().code, QStringLiteral("image.unreadable"));
    }

    void aBadTikTokLinkFailsBeforeSending()
    {
        NodeClient client(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(testcommon::freeLoopbackPort())));
        Answer<QString> url;
        client.getFullTikTokUrl(QStringLiteral("https://example.com/not-tiktok"), this, url.callback());
        DESO_WAIT_VERIFY(url.result.has_value(), 5000);
        QCOMPARE(url.result->error().code, QStringLiteral("tiktok.bad_link"));
    }

    void uploadsAnImage()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        NodeClient client(server.url());
        const auto key = deso::identity::PrivateKey::generate();
        const QString pk = key.publicKey().toBase58Check(deso::identity::Network::Mainnet);
        QImage img(64, 48, QImage::Format_RGB32);
        img.fill(Qt::darkCyan);
        const QString path = m_dir.filePath(QStringLiteral("photo.png"));
        QVERIFY(img.save(path));
        QSignalSpy exchanges(&client, &NodeClient::exchanged);
        Answer<deso::node::ImageUpload> upload;
        const QString jwt = deso::identity::signJwt(key);
        qint64 mostSent = -1;  // this request's own progress, not any other's
        client.uploadImage(preparedPart(path, true), pk, jwt, this, upload.callback(),
                           [&mostSent](qint64 sent, qint64) { mostSent = std::max(mostSent, sent); });
        DESO_WAIT_VERIFY(upload.result.has_value(), 20000);
        QVERIFY2(upload.result->ok(), qPrintable(upload.result->ok() ? QString() : upload.result->error().toString()));
        const deso::node::ImageUpload &done = upload.result->value();
        QVERIFY2(done.imageUrl.startsWith(server.url().toString() + QStringLiteral("/images/")), qPrintable(done.imageUrl));
        QVERIFY(done.imageUrl.endsWith(QStringLiteral(".webp")));
        QVERIFY(!done.changed);
        QCOMPARE(done.contentType, QStringLiteral("image/png"));
        QCOMPARE(done.sentBytes, QFileInfo(path).size());
        QVERIFY(!done.preparation.isEmpty());
        QVERIFY(mostSent > QFileInfo(path).size());  // the whole form went, image and fields
        // The tester's view of the request: the whole exchange, the token never in it.
        QCOMPARE(exchanges.size(), 1);
        const auto x = exchanges.first().first().value<deso::node::HttpExchange>();
        QCOMPARE(x.method, QByteArray("POST"));
        QCOMPARE(x.url, client.endpoint(QStringLiteral("upload-image")));
        QCOMPARE(x.status, 200);
        QVERIFY(x.elapsedMs >= 0);
        QVERIFY(x.responseBody.contains(QUrl(done.imageUrl).fileName().toUtf8()));
        const QString text = x.toText();
        QVERIFY2(text.startsWith(QStringLiteral("POST ") + server.url().toString()), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("UserPublicKeyBase58Check: ") + pk), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("JWT: (JWT, %1 characters, not shown)").arg(jwt.size())), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("file: \"photo.png\", image/png")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("-> HTTP/1.1 200")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("Content-Type: application/json")), qPrintable(text));
        QVERIFY(!text.contains(jwt));
        QVERIFY(!text.contains(jwt.section(QLatin1Char('.'), 2)));
        // The stored image is what the node makes of it: WebP, same size.
        const QString stored = server.dataDir() + QStringLiteral("/images/") + QUrl(done.imageUrl).fileName();
        QImageReader reader(stored);
        QCOMPARE(reader.format(), QByteArray("webp"));
        QCOMPARE(reader.size(), QSize(64, 48));
    }

    void anOversizedImageIsMadeAcceptableFirst()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        NodeClient client(server.url());
        const auto key = deso::identity::PrivateKey::generate();
        QImage img(5000, 300, QImage::Format_RGB32);
        img.fill(Qt::darkMagenta);
        const QString path = m_dir.filePath(QStringLiteral("wide.png"));
        QVERIFY(img.save(path));
        Answer<deso::node::ImageUpload> upload;
        client.uploadImage(preparedPart(path, true), key.publicKey().toBase58Check(deso::identity::Network::Testnet),
                           deso::identity::signJwt(key), this, upload.callback());
        DESO_WAIT_VERIFY(upload.result.has_value(), 30000);
        QVERIFY2(upload.result->ok(), qPrintable(upload.result->ok() ? QString() : upload.result->error().toString()));
        QVERIFY(upload.result->value().changed);
        QVERIFY2(upload.result->value().preparation.contains(QStringLiteral("4000")), qPrintable(upload.result->value().preparation));
        const QString stored = server.dataDir() + QStringLiteral("/images/") + QUrl(upload.result->value().imageUrl).fileName();
        QCOMPARE(QImageReader(stored).size().width(), 4000);
    }

    void imageRefusalsComeBackVerbatim_data()
    {
        QTest::addColumn<QString>("file");     // png, text, huge, corrupt
        QTest::addColumn<QString>("publicKey"); // "own", "other", ""
        QTest::addColumn<QString>("jwt");      // "own", "garbage", ""
        QTest::addColumn<QString>("expected"); // exact sentence; "verify:" = computed with verifyJwt
        QTest::newRow("no JWT") << "png" << "own" << "" << "No JWT provided";
        QTest::newRow("no public key") << "png" << "" << "own" << "No public key provided";
        QTest::newRow("garbage JWT") << "png" << "own" << "garbage" << "verify:";
        QTest::newRow("JWT of another key") << "png" << "other" << "own" << "verify:";
        QTest::newRow("too large, as is") << "huge" << "own" << "own" << "File too large.";
        QTest::newRow("not an image, as is") << "text" << "own" << "own"
            << "UploadImage: problem extracting file extension: Mime type not supported: text/plain";
    }

    void imageRefusalsComeBackVerbatim()
    {
        QFETCH(QString, file);
        QFETCH(QString, publicKey);
        QFETCH(QString, jwt);
        QFETCH(QString, expected);
        TestHost server;
        QVERIFY(server.start().ok());
        NodeClient client(server.url());
        const auto key = deso::identity::PrivateKey::generate();
        const auto other = deso::identity::PrivateKey::generate();
        const QString pk = publicKey == QLatin1String("own") ? key.publicKey().toBase58Check(deso::identity::Network::Mainnet)
                         : publicKey == QLatin1String("other") ? other.publicKey().toBase58Check(deso::identity::Network::Mainnet)
                                                               : QString();
        const QString token = jwt == QLatin1String("own") ? deso::identity::signJwt(key) : jwt == QLatin1String("garbage") ? QStringLiteral("a.b.c") : QString();
        if (expected == QLatin1String("verify:"))
            expected = QStringLiteral("UploadImage: Invalid token: ") + deso::identity::verifyJwt(token, pk).error().message;

        QString path = m_dir.filePath(QStringLiteral("refused-") + file);
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        if (file == QLatin1String("png")) {
            QImage img(32, 32, QImage::Format_RGB32);
            img.fill(Qt::red);
            QVERIFY(img.save(&f, "PNG"));
        } else if (file == QLatin1String("text")) {
            f.write("just some words, not a picture\n");
        } else {
            f.write(QByteArray(10'000'100, 'z'));
        }
        f.close();
        Answer<deso::node::ImageUpload> upload;
        client.uploadImage(preparedPart(path, file == QLatin1String("png")), pk, token, this, upload.callback());
        DESO_WAIT_VERIFY(upload.result.has_value(), 30000);
        QVERIFY(!upload.result->ok());
        QCOMPARE(upload.result->error().message, expected);
        QCOMPARE(upload.result->error().httpStatus, 400);
        QCOMPARE(upload.result->error().code, QStringLiteral("server.refused"));
    }

    void aFileThatCannotBeMadeAcceptableIsRefusedLocally()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        NodeClient client(server.url());
        const QString path = m_dir.filePath(QStringLiteral("notes.txt"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("not an image");
        f.close();
        const auto part = deso::upload::prepareImage(path, true);
        QVERIFY(!part.ok());
        QCOMPARE(part.error().httpStatus, 0); // a local refusal, whatever the pipeline's status
        QVERIFY(part.error().code.startsWith(QStringLiteral("image.")));
        QVERIFY(server.requests.isEmpty());
    }

    void aDestroyedContextGetsNoCallback()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        NodeClient client(server.url());
        bool called = false;
        auto *context = new QObject;
        client.getVideoStatus(QStringLiteral("0123456789abcdef0123456789abcdef"), context, [&called](Result<VideoStatus>) { called = true; });
        delete context;
        QTest::qWait(300);
        QVERIFY(!called);
    }

    void pollsUntilReadyThenReadsTheDimensions()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        NodeClient client(server.url());
        const QString id = uploadVideo(client.videoUploadEndpoint(), QStringLiteral(DESO_SOURCE_DIR "/tests/host/data/tiny.mp4"));
        QVERIFY(!id.isEmpty());
        PollOptions o;
        o.initialIntervalMs = 20;
        o.maxIntervalMs = 60;
        VideoStatusPoller poller(&client, id, o);
        QSignalSpy statuses(&poller, &VideoStatusPoller::statusReceived);
        QSignalSpy ready(&poller, &VideoStatusPoller::ready);
        QSignalSpy failed(&poller, &VideoStatusPoller::failed);
        poller.start();
        DESO_WAIT_VERIFY(!ready.isEmpty() || !failed.isEmpty(), 20000);
        if (!failed.isEmpty())
            QFAIL(qPrintable(failed.first().first().value<Error>().toString()));
        QCOMPARE(statuses.count(), poller.pollCount());
        const VideoStatus last = ready.first().first().value<VideoStatus>();
        QVERIFY(last.readyToStream);
        QCOMPARE(last.state, QStringLiteral("ready"));
        QVERIFY(last.width > 0 && last.height > 0);
        QVERIFY(last.duration > 0);
        QVERIFY(!poller.isRunning());

        Answer<deso::node::VideoDimensions> dims;
        client.getVideoDimensions(id, this, dims.callback());
        DESO_WAIT_VERIFY(dims.result.has_value(), 10000);
        QVERIFY(dims.result->ok());
        QCOMPARE(dims.result->value().width, last.width);
        QCOMPARE(dims.result->value().height, last.height);
    }

    void pollingStopsOnAnErrorState()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        NodeClient client(server.url());
        const QString path = m_dir.filePath(QStringLiteral("not-a-video.bin"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(200000, 'x'));
        f.close();
        const QString id = uploadVideo(client.videoUploadEndpoint(), path);
        QVERIFY(!id.isEmpty());
        PollOptions o;
        o.initialIntervalMs = 20;
        VideoStatusPoller poller(&client, id, o);
        QSignalSpy failed(&poller, &VideoStatusPoller::failed);
        QSignalSpy ready(&poller, &VideoStatusPoller::ready);
        poller.start();
        DESO_WAIT_VERIFY(!failed.isEmpty(), 20000);
        const Error error = failed.first().first().value<Error>();
        QCOMPARE(error.code, QStringLiteral("video.error_state"));
        QVERIFY2(error.message.contains(QStringLiteral("ERR_")), qPrintable(error.message));
        QVERIFY(ready.isEmpty());
    }

    void pollingStopsOnRefusalWithTheNodesSentence()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        NodeClient client(server.url());
        const QString id = QStringLiteral("0123456789abcdef0123456789abcdee");
        VideoStatusPoller poller(&client, id);
        QSignalSpy failed(&poller, &VideoStatusPoller::failed);
        poller.start();
        DESO_WAIT_VERIFY(!failed.isEmpty(), 10000);
        const Error error = failed.first().first().value<Error>();
        QCOMPARE(error.message, QStringLiteral("GetVideoStatus: no video with id ") + id);
        QCOMPARE(error.httpStatus, 404);
        QCOMPARE(poller.pollCount(), 1);

        Answer<VideoStatus> bad;
        client.getVideoStatus(QStringLiteral("NOT-AN-ID"), this, bad.callback());
        DESO_WAIT_VERIFY(bad.result.has_value(), 10000);
        QCOMPARE(bad.result->error().message, QStringLiteral("GetVideoStatus: videoId must match [0-9a-z]{25,35}"));
        QCOMPARE(bad.result->error().httpStatus, 400);
    }

    void pollingTimesOutAndBacksOff()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        // An upload that was created but never sent: it stays "pendingupload".
        QNetworkAccessManager nam;
        QNetworkRequest create(server.uploadEndpoint());
        create.setRawHeader("Tus-Resumable", "1.0.0");
        create.setRawHeader("Upload-Length", "1000");
        QNetworkReply *reply = nam.post(create, QByteArray());
        DESO_WAIT_VERIFY(reply->isFinished(), 10000);
        const QString id = QString::fromLatin1(reply->rawHeader("Stream-Media-Id"));
        reply->deleteLater();
        QVERIFY(!id.isEmpty());
        NodeClient client(server.url());
        PollOptions o;
        o.initialIntervalMs = 10;
        o.backoffFactor = 2;
        o.maxIntervalMs = 40;
        o.timeoutMs = 400;
        VideoStatusPoller poller(&client, id, o);
        QSignalSpy failed(&poller, &VideoStatusPoller::failed);
        QSignalSpy statuses(&poller, &VideoStatusPoller::statusReceived);
        poller.start();
        DESO_WAIT_VERIFY(!failed.isEmpty(), 10000);
        QCOMPARE(failed.first().first().value<Error>().code, QStringLiteral("video.timeout"));
        QVERIFY(poller.pollCount() >= 3);
        QCOMPARE(statuses.first().first().value<VideoStatus>().state, QStringLiteral("pendingupload"));
        // 10 -> 20 -> 40, then capped.
        QCOMPARE(poller.currentIntervalMs(), 40);
    }

    void tiktokThroughAFakeRedirector()
    {
        QHttpServer redirector;
        const QByteArray full = "https://www.tiktok.com/@scout2015/video/6718335390845095173?lang=en";
        redirector.route("/<arg>", QHttpServerRequest::Method::Get,
                         [full](const QString &id, const QHttpServerRequest &, QHttpServerResponder &&responder) {
                             if (id == QLatin1String("TTPd2Eobq3"))
                                 return responder.write({{"Location", full}}, QHttpServerResponder::StatusCode::MovedPermanently);
                             if (id == QLatin1String("Elsewhere1"))
                                 return responder.write({{"Location", "https://evil.example/@x/video/1"}},
                                                        QHttpServerResponder::StatusCode::Found);
                             responder.write(QHttpServerResponder::StatusCode::NotFound);
                         });
        const quint16 port = redirector.listen(QHostAddress::LocalHost, 0);
        QVERIFY(port != 0);
        TestHost server;
        server.config.tiktokShortLinkBase = QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(port));
        server.config.tiktokAllowLoopbackForTests = true;
        QVERIFY(server.start().ok());
        NodeClient client(server.url());

        // A pasted link: the client sends only the short id.
        Answer<QString> url;
        client.getFullTikTokUrl(QStringLiteral("https://vm.tiktok.com/TTPd2Eobq3/"), this, url.callback());
        DESO_WAIT_VERIFY(url.result.has_value(), 10000);
        QVERIFY2(url.result->ok(), qPrintable(url.result->ok() ? QString() : url.result->error().toString()));
        QCOMPARE(url.result->value(), QString::fromLatin1(full));

        // The host's refusal comes back verbatim.
        Answer<QString> refused;
        client.getFullTikTokUrl(QStringLiteral("Elsewhere1"), this, refused.callback());
        DESO_WAIT_VERIFY(refused.result.has_value(), 10000);
        QVERIFY(!refused.result->ok());
        QCOMPARE(refused.result->error().httpStatus, 400);
        QCOMPARE(refused.result->error().message,
                 QStringLiteral("GetFullTikTokURL: refusing to follow a redirect to a host that is not TikTok's: evil.example"));
    }

    void pollingToleratesAFewNetworkErrors()
    {
        NodeClient client(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(testcommon::freeLoopbackPort())));
        PollOptions o;
        o.initialIntervalMs = 5;
        o.maxConsecutiveNetworkErrors = 3;
        VideoStatusPoller poller(&client, QStringLiteral("0123456789abcdef0123456789abcdef"), o);
        QSignalSpy failed(&poller, &VideoStatusPoller::failed);
        poller.start();
        DESO_WAIT_VERIFY(!failed.isEmpty(), 10000);
        QCOMPARE(failed.first().first().value<Error>().code, QStringLiteral("network.error"));
        QCOMPARE(poller.pollCount(), 4);
    }
};

QTEST_GUILESS_MAIN(TestClient)
#include "tst_client.moc"
