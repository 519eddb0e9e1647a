// NodeClient and VideoStatusPoller on loopback: URL building, answers parsed, every
// failure a value (the node's sentence, the HTTP status, or the network error).
#include "eventwait.h"
#include "minitusserver.h"
#include "node/nodeclient.h"
#include "node/videostatuspoller.h"
#include "tus/tusuploader.h"

#include <QJsonDocument>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QtTest>

using deso::Error;
using deso::Result;
using deso::node::NodeClient;
using deso::node::PollOptions;
using deso::node::VideoStatus;
using deso::node::VideoStatusPoller;

namespace {

// A port nothing listens on: bind, read the port, close.
quint16 closedPort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    const quint16 port = s.serverPort();
    s.close();
    return port;
}

template <typename T>
struct Answer {
    std::optional<Result<T>> result;
    std::function<void(Result<T>)> callback()
    {
        return [this](Result<T> r) { result.emplace(std::move(r)); };
    }
};

} // namespace

class TestClient : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    // Uploads a small file to the server with tus and returns its media id.
    QString uploadSmallVideo(const QUrl &endpoint)
    {
        const QString path = m_dir.filePath(QStringLiteral("clip-%1.bin").arg(QString::fromLatin1(QTest::currentTestFunction())));
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            return {};
        f.write(QByteArray(300000, 'v'));
        f.close();
        deso::tus::TusOptions o;
        o.storeFile = m_dir.filePath(QStringLiteral("store.json"));
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
        NodeClient client(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(closedPort())));
        Answer<VideoStatus> status;
        client.getVideoStatus(QStringLiteral("0123456789abcdef0123456789abcdef"), this, status.callback());
        DESO_WAIT_VERIFY(status.result.has_value(), 10000);
        QVERIFY(!status.result->ok());
        QCOMPARE(status.result->error().code, QStringLiteral("network.error"));
        QCOMPARE(status.result->error().httpStatus, 0);
        QVERIFY2(status.result->error().message.contains(QStringLiteral("refused")), qPrintable(status.result->error().message));
    }

    void aMissingImageFailsBeforeSending()
    {
        NodeClient client(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(closedPort())));
        Answer<deso::node::ImageUpload> upload;
        client.uploadImage(m_dir.filePath(QStringLiteral("nope.png")), QStringLiteral("pk"), QStringLiteral("jwt"), this, upload.callback());
        DESO_WAIT_VERIFY(upload.result.has_value(), 5000);
        QCOMPARE(upload.result->error().code, QStringLiteral("image.unreadable"));
    }

    void aBadTikTokLinkFailsBeforeSending()
    {
        NodeClient client(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(closedPort())));
        Answer<QString> url;
        client.getFullTikTokUrl(QStringLiteral("https://example.com/not-tiktok"), this, url.callback());
        DESO_WAIT_VERIFY(url.result.has_value(), 5000);
        QCOMPARE(url.result->error().code, QStringLiteral("tiktok.bad_link"));
    }

    void aDestroyedContextGetsNoCallback()
    {
        MiniTusServer server;
        QVERIFY(server.start());
        NodeClient client(server.url());
        bool called = false;
        auto *context = new QObject;
        client.getVideoStatus(QStringLiteral("0123456789abcdef0123456789abcdef"), context, [&called](Result<VideoStatus>) { called = true; });
        delete context;
        QTest::qWait(300);
        QVERIFY(!called);
    }

    void pollsUntilReady()
    {
        MiniTusServer server;
        server.pollsUntilReady = 4;
        QVERIFY(server.start());
        NodeClient client(server.url());
        const QString id = uploadSmallVideo(client.videoUploadEndpoint());
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
        QVERIFY(failed.isEmpty());
        QCOMPARE(statuses.count(), 4);
        QCOMPARE(poller.pollCount(), 4);
        const VideoStatus last = ready.first().first().value<VideoStatus>();
        QVERIFY(last.readyToStream);
        QCOMPARE(last.width, 64);
        QCOMPARE(last.height, 48);
        QVERIFY(!poller.isRunning());
        // Backoff: 20 -> 30 -> 45 -> 60 (capped).
        QCOMPARE(poller.currentIntervalMs(), 60);
    }

    void pollingStopsOnRefusal()
    {
        MiniTusServer server;
        QVERIFY(server.start());
        NodeClient client(server.url());
        VideoStatusPoller poller(&client, QStringLiteral("0123456789abcdef0123456789abcdee"));
        QSignalSpy failed(&poller, &VideoStatusPoller::failed);
        poller.start();
        DESO_WAIT_VERIFY(!failed.isEmpty(), 10000);
        const Error error = failed.first().first().value<Error>();
        QCOMPARE(error.message, QStringLiteral("Video not found."));
        QCOMPARE(error.httpStatus, 400);
        QCOMPARE(poller.pollCount(), 1);
    }

    void pollingTimesOut()
    {
        MiniTusServer server;
        server.pollsUntilReady = 1000000;
        QVERIFY(server.start());
        NodeClient client(server.url());
        const QString id = uploadSmallVideo(client.videoUploadEndpoint());
        QVERIFY(!id.isEmpty());
        PollOptions o;
        o.initialIntervalMs = 10;
        o.maxIntervalMs = 20;
        o.timeoutMs = 300;
        VideoStatusPoller poller(&client, id, o);
        QSignalSpy failed(&poller, &VideoStatusPoller::failed);
        QSignalSpy ready(&poller, &VideoStatusPoller::ready);
        poller.start();
        DESO_WAIT_VERIFY(!failed.isEmpty(), 10000);
        QCOMPARE(failed.first().first().value<Error>().code, QStringLiteral("video.timeout"));
        QVERIFY(ready.isEmpty());
        QVERIFY(poller.pollCount() >= 2);
    }

    void pollingToleratesAFewNetworkErrors()
    {
        NodeClient client(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(closedPort())));
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
