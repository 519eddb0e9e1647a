// The upload layer (core/upload) end to end on loopback against the real EndpointHost with
// real files: an image too large for the node made acceptable and sent, credentials from a
// local key and pasted, a video paused, resumed and cancelled through its UploadTask, the
// node followed until the video streams, status data saved and read back, and its words.
#include "eventwait.h"
#include "identity/jwt.h"
#include "identity/keystore.h"
#include "nodetest/sampleclip.h"
#include "testfiles.h"
#include "testhost.h"
#include "upload/credentials.h"
#include "upload/uploadfile.h"
#include "upload/uploadstatus.h"
#include "upload/uploadtask.h"

#include <QImage>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QImageReader>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace deso::upload;
using deso::node::NodeClient;
using testcommon::sha256Of;

namespace {
constexpr qint64 MiB = 1024 * 1024;

bool ended(const UploadTask &task)
{
    const UploadState s = task.status().state;
    return s == UploadState::Done || s == UploadState::Failed;
}

QString why(const UploadTask &task)
{
    return describe(task.status()) + QStringLiteral(" (") + task.status().error.code + QLatin1Char(')');
}
} // namespace

class TestUpload : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    deso::identity::PrivateKey m_key = deso::identity::PrivateKey::generate();

    QString publicKey() const { return m_key.publicKey().toBase58Check(deso::identity::Network::Mainnet); }

    UploadOptions videoOptions(const QString &store) const
    {
        UploadOptions o;
        o.tus.storeFile = store;
        o.tus.chunkSize = 5 * MiB;
        o.poll.timeoutMs = 60000;
        return o;
    }

    // A valid MP4 of more than two 5 MiB chunks: the sample clip plus a top-level "free" box.
    QString bigVideo(const QString &name)
    {
        const QString path = m_dir.filePath(name);
        return deso::nodetest::writeSampleClip(path, 12 * MiB).ok() ? path : QString();
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
    }

    void filesAreJudgedByTheirContent()
    {
        QImage img(40, 30, QImage::Format_RGB32);
        img.fill(Qt::blue);
        const QString disguised = m_dir.filePath(QStringLiteral("photo.mp4"));  // a PNG named .mp4
        QVERIFY(img.save(disguised, "PNG"));
        UploadFile f = inspectFile(disguised);
        QCOMPARE(f.kind, MediaKind::Image);
        QCOMPARE(f.mimeType, QStringLiteral("image/png"));
        QVERIFY(!f.refusal);

        const QString text = m_dir.filePath(QStringLiteral("notes.jpg"));
        QFile t(text);
        QVERIFY(t.open(QIODevice::WriteOnly));
        t.write("not a picture\n");
        t.close();
        f = inspectFile(text);
        QVERIFY(f.refusal);
        QCOMPARE(f.refusal->code, QStringLiteral("upload.unsupported_type"));
        QVERIFY2(f.refusal->message.contains(QStringLiteral("text/plain")), qPrintable(f.refusal->message));
        QCOMPARE(inspectFile(m_dir.filePath(QStringLiteral("gone.png"))).refusal->code, QStringLiteral("upload.missing"));
    }

    // The one rule for a video's limit: the node's 250 MB over tus, the media server's
    // (65 MiB unless set) when videos go there; over it, the video is refused as it is
    // but a smaller copy can fit, and the sentence names whose limit it is.
    void aVideoOverItsServersLimitCanBeMadeToFit()
    {
        using deso::upload::videoLimit;
        QCOMPARE(videoLimit(false).bytes, deso::upload::kMaxVideoBytes);
        QVERIFY(!videoLimit(false).mediaServer);
        QCOMPARE(videoLimit(true).bytes, deso::upload::kDefaultMediaServerVideoBytes);
        QCOMPARE(videoLimit(true, 0).bytes, deso::upload::kDefaultMediaServerVideoBytes);
        QCOMPARE(videoLimit(true, 3 << 20).bytes, qint64(3 << 20));
        QCOMPARE(videoLimit(false, 3 << 20).bytes, deso::upload::kMaxVideoBytes); // the node's limit is not a setting

        const QString clip = m_dir.filePath(QStringLiteral("padded.mp4"));
        QVERIFY(deso::nodetest::writeSampleClip(clip, 2 * 1024 * 1024).ok());
        const qint64 size = QFileInfo(clip).size();
        UploadFile asIs = inspectFile(clip, videoLimit(true, size));
        QVERIFY(!asIs.refusal && !asIs.smallerCopyCanFit);
        UploadFile over = inspectFile(clip, videoLimit(true, 1 << 20));
        QCOMPARE(over.kind, MediaKind::Video);
        QVERIFY(over.smallerCopyCanFit);
        QVERIFY(over.refusal);
        QCOMPARE(over.refusal->code, QStringLiteral("upload.too_large"));
        QVERIFY2(over.refusal->message.startsWith(QStringLiteral("Too large: the media server takes videos up to 1.0 MB")),
                 qPrintable(over.refusal->message));
        QCOMPARE(over.videoLimit.bytes, qint64(1 << 20));
        QVERIFY(!inspectFile(clip).smallerCopyCanFit); // the node's 250 MB
    }

    // A folder is walked for its images and videos (by content), in name order, depth
    // first; other files are skipped and said in one sentence; links that loop end; the
    // cap stops the walk and is said too.
    void foldersAreWalkedForTheirMedia()
    {
        QTemporaryDir tree;
        const QDir root(tree.path());
        QVERIFY(root.mkpath(QStringLiteral("b-sub/deeper")) && root.mkpath(QStringLiteral(".hidden")));
        QImage img(16, 12, QImage::Format_RGB32);
        img.fill(Qt::darkCyan);
        for (const char *name : {"c.png", "a.jpg", "b-sub/x.png", "b-sub/deeper/y.png", "disguised.txt", ".hidden/h.png", ".dot.png"})
            QVERIFY(img.save(root.filePath(QString::fromLatin1(name)), QByteArray(name).endsWith("jpg") ? "JPEG" : "PNG"));
        QVERIFY(deso::nodetest::writeSampleClip(root.filePath(QStringLiteral("b-sub/clip.mp4"))).ok());
        for (const char *name : {"notes.md", "b-sub/data.bin", "b-sub/deeper/list.csv"}) {
            QFile f(root.filePath(QString::fromLatin1(name)));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("plain text, not media\n");
        }
        QVERIFY(QFile::link(root.path(), root.filePath(QStringLiteral("b-sub/deeper/loop"))));       // back to the top
        QVERIFY(QFile::link(root.filePath(QStringLiteral("a.jpg")), root.filePath(QStringLiteral("same.jpg")))); // a file twice

        const deso::upload::MediaCollection all = deso::upload::collectMedia({root.path()});
        QStringList names;
        for (const UploadFile &f : all.files)
            names << QDir(root.path()).relativeFilePath(f.path);
        QCOMPARE(names, QStringList({QStringLiteral("a.jpg"), QStringLiteral("c.png"), QStringLiteral("disguised.txt"),
                                     QStringLiteral("b-sub/clip.mp4"), QStringLiteral("b-sub/x.png"),
                                     QStringLiteral("b-sub/deeper/y.png")}));
        QCOMPARE(all.files.at(3).kind, MediaKind::Video);
        QCOMPARE(all.skipped, QStringList({QStringLiteral("notes.md"), QStringLiteral("data.bin"), QStringLiteral("list.csv")}));
        QVERIFY(!all.capped);
        QCOMPARE(all.leftOutSentence(),
                 QStringLiteral("Skipped 3 files that are not images or videos: notes.md, data.bin, list.csv."));

        // Named files stay, refused or not; the folder's media follow; the cap is said.
        const deso::upload::MediaCollection capped =
            deso::upload::collectMedia({root.filePath(QStringLiteral("notes.md")), root.path()}, deso::upload::videoLimit(false), 3);
        QCOMPARE(capped.files.size(), 3);
        QVERIFY(capped.files.first().refusal);
        QVERIFY(capped.capped);
        QVERIFY2(capped.leftOutSentence().contains(QStringLiteral("Only the first 3 images and videos")),
                 qPrintable(capped.leftOutSentence()));
        QVERIFY(!deso::upload::containsFolder({root.filePath(QStringLiteral("a.jpg"))}));
        QVERIFY(deso::upload::containsFolder({root.filePath(QStringLiteral("a.jpg")), root.path()}));
    }

    void aLargeImageIsMadeAcceptableAndSent()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        NodeClient client(server.url());
        // Noise at JPEG quality 100 barely compresses: well over the node's 10,000,000 bytes.
        QImage img(3600, 2400, QImage::Format_RGB32);
        QRandomGenerator rng(11);
        for (int y = 0; y < img.height(); ++y) {
            auto *line = reinterpret_cast<quint32 *>(img.scanLine(y));
            for (int x = 0; x < img.width(); ++x)
                line[x] = 0xff000000u | (rng.generate() & 0xffffffu);
        }
        const QString path = m_dir.filePath(QStringLiteral("noise.jpg"));
        QVERIFY(img.save(path, "JPEG", 100));
        const qint64 original = QFileInfo(path).size();
        QVERIFY(original > 10'000'000);
        const UploadFile file = inspectFile(path);
        QVERIFY(file.needsSmallerCopy && !file.refusal);

        UploadOptions options;
        options.credentials = [this]() -> deso::Result<Credentials> { return signWithKey(m_key, publicKey()); };
        UploadTask task(&client, path, MediaKind::Image, options);
        QCOMPARE(task.status().note, StatusNote::SmallerCopyPlanned);
        QCOMPARE(describe(task.status()), QStringLiteral("Over the node's 10 MB limit: a smaller copy will be sent."));
        QList<UploadStatus> seen;
        connect(&task, &UploadTask::statusChanged, this, [&seen](const UploadStatus &s) { seen << s; });
        QSignalSpy progress(&task, &UploadTask::progress);
        QSignalSpy finished(&task, &UploadTask::finished);
        task.start();
        DESO_WAIT_VERIFY(ended(task), 120000);
        QVERIFY2(task.status().state == UploadState::Done, qPrintable(why(task)));

        // Status as data along the way: the copy was made, then its bytes went, then done.
        QVERIFY(!seen.isEmpty());
        QCOMPARE(seen.first().state, UploadState::Processing);
        QCOMPARE(seen.first().note, StatusNote::MakingSmallerCopy);
        QCOMPARE(describe(seen.first()), QStringLiteral("Making a copy under 10 MB…"));
        QVERIFY(std::any_of(seen.cbegin(), seen.cend(), [](const UploadStatus &s) { return s.state == UploadState::Uploading; }));
        QVERIFY(!progress.isEmpty());

        const UploadResult result = finished.first().first().value<UploadResult>();
        QVERIFY(result.image.changed);
        QVERIFY2(!result.image.preparation.isEmpty(), "the preparation is said");
        QVERIFY(result.image.sentBytes <= 10'000'000 && result.image.sentBytes < original);
        QCOMPARE(task.status().bytesTotal, result.image.sentBytes);   // what went over the wire
        QCOMPARE(task.status().bytesSent, task.status().bytesTotal);
        QCOMPARE(task.status().resultUrl, result.image.imageUrl);
        QVERIFY(result.url.startsWith(server.url().toString() + QStringLiteral("/images/")));
        const QString stored = server.dataDir() + QStringLiteral("/images/") + QUrl(result.url).fileName();
        QImageReader reader(stored);
        QCOMPARE(reader.format(), QByteArray("webp"));
        QCOMPARE(reader.size(), QSize(3600, 2400));
        QCOMPARE(describe(task.status()), QStringLiteral("Uploaded: ") + result.url);
    }

    void credentialsFromALocalKeyAndPasted()
    {
        // A test key kept in a file store, as `deso-media --key-store file:PATH` keeps it.
        const QString storePath = m_dir.filePath(QStringLiteral("keys.json"));
        auto store = deso::identity::TestKeyStore::fromSpec(QStringLiteral("file:") + storePath);
        QVERIFY(store.ok());
        const auto entry = store.value()->create(QStringLiteral("alice"), deso::identity::Network::Testnet);
        QVERIFY2(entry.ok(), qPrintable(entry.ok() ? QString() : entry.error().message));
        const auto signedCreds = signWithTestKey(*store.value(), QStringLiteral("alice"));
        QVERIFY(signedCreds.ok());
        QCOMPARE(signedCreds->publicKey, entry->publicKeyBase58Check);
        const auto claims = deso::identity::verifyJwt(signedCreds->jwt, signedCreds->publicKey);
        QVERIFY(claims.ok());
        QCOMPARE(claims->exp - claims->iat, kTestJwtLifetimeSeconds);
        const auto unknown = signWithTestKey(*store.value(), QStringLiteral("nobody"));
        QVERIFY(!unknown.ok());
        QVERIFY(!unknown.error().message.isEmpty());

        // Pasted: checked now, refused with the reason.
        QVERIFY(checkPasted(publicKey(), deso::identity::signJwt(m_key)).ok());
        QCOMPARE(checkPasted(publicKey(), QString()).error().code, QStringLiteral("identity.missing"));
        deso::identity::JwtSignOptions old;
        old.issuedAt = QDateTime::currentSecsSinceEpoch() - 4000;
        old.lifetimeSeconds = 600;
        const QString expired = deso::identity::signJwt(m_key, old);
        const auto stale = checkPasted(publicKey(), expired);
        QVERIFY(!stale.ok());
        QVERIFY2(stale.error().message.startsWith(QStringLiteral("The pasted JWT cannot be used: ")), qPrintable(stale.error().message));

        // Both kinds sign a real upload; an unchecked stale token gets the node's refusal.
        TestHost server;
        QVERIFY(server.start().ok());
        NodeClient client(server.url());
        QImage img(64, 48, QImage::Format_RGB32);
        img.fill(Qt::darkCyan);
        const QString path = m_dir.filePath(QStringLiteral("small.png"));
        QVERIFY(img.save(path));
        const QList<std::pair<QString, Credentials>> cases = {
            {QStringLiteral("local key"), signedCreds.value()},
            {QStringLiteral("pasted"), checkPasted(publicKey(), deso::identity::signJwt(m_key)).value()},
            {QStringLiteral("stale"), Credentials{publicKey(), expired}}};
        for (const auto &[name, credentials] : cases) {
            UploadOptions options;
            options.credentials = [credentials]() -> deso::Result<Credentials> { return credentials; };
            UploadTask task(&client, path, MediaKind::Image, options);
            task.start();
            DESO_WAIT_VERIFY(ended(task), 30000);
            if (name == QLatin1String("stale")) {
                QCOMPARE(task.status().state, UploadState::Failed);
                QCOMPARE(task.status().error.httpStatus, 400);
                QVERIFY2(describe(task.status()).startsWith(QStringLiteral("UploadImage: Invalid token")), qPrintable(why(task)));
            } else {
                QVERIFY2(task.status().state == UploadState::Done, qPrintable(name + QStringLiteral(": ") + why(task)));
            }
        }

        // No credentials at all: the upload fails with a sentence, nothing is sent.
        const int before = server.requests.value(QStringLiteral("POST"));
        UploadOptions none;
        none.credentials = []() -> deso::Result<Credentials> {
            return deso::Error(QStringLiteral("identity.no_key"), QStringLiteral("No test key is selected."));
        };
        UploadTask refused(&client, path, MediaKind::Image, none);
        refused.start();
        DESO_WAIT_VERIFY(ended(refused), 30000);
        QCOMPARE(refused.status().error.code, QStringLiteral("identity.no_key"));
        QCOMPARE(describe(refused.status()), QStringLiteral("No test key is selected."));
        QCOMPARE(server.requests.value(QStringLiteral("POST")), before);
    }

    void aVideoPausesResumesAndIsFollowedUntilItStreams()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        NodeClient client(server.url());
        const QString path = bigVideo(QStringLiteral("long.mp4"));
        QVERIFY(!path.isEmpty());
        UploadTask task(&client, path, MediaKind::Video, videoOptions(m_dir.filePath(QStringLiteral("tus-a.json"))));
        // Pause from inside the progress signal once the second chunk moves: certainly mid-flight.
        bool paused = false;
        connect(&task, &UploadTask::progress, this, [&](qint64 sent, qint64 total) {
            if (!paused && sent > 5 * MiB + MiB / 2 && sent < total) {
                paused = true;
                QVERIFY(task.canPause());
                task.pause();
            }
        });
        QSignalSpy uploaded(&task, &UploadTask::videoUploaded);
        QSignalSpy nodeStatus(&task, &UploadTask::nodeStatusReceived);
        task.start();
        DESO_WAIT_VERIFY(task.status().state == UploadState::Paused || ended(task), 30000);
        QVERIFY2(task.status().state == UploadState::Paused, qPrintable(why(task)));
        const qint64 kept = task.status().bytesSent;
        QVERIFY2(kept >= 5 * MiB && kept % (5 * MiB) == 0 && kept < task.status().bytesTotal, qPrintable(QString::number(kept)));
        QVERIFY(!task.status().uploadUrl.isEmpty());
        QVERIFY(!task.status().videoId.isEmpty());
        QVERIFY(task.canResume() && !task.canPause() && task.canCancel());
        QVERIFY2(describe(task.status()).startsWith(QStringLiteral("paused at ")), qPrintable(describe(task.status())));

        task.resume();
        DESO_WAIT_VERIFY(ended(task), 60000);
        QVERIFY2(task.status().state == UploadState::Done, qPrintable(why(task)));
        QCOMPARE(uploaded.size(), 1);
        QVERIFY(!nodeStatus.isEmpty());
        const UploadStatus &s = task.status();
        QVERIFY(s.video && s.video->readyToStream);
        QCOMPARE(s.bytesSent, QFileInfo(path).size());
        QVERIFY2(s.resultUrl.startsWith(server.url().toString()) && s.resultUrl.endsWith(QLatin1String("/master.m3u8")), qPrintable(s.resultUrl));
        QVERIFY2(describe(s).startsWith(QStringLiteral("ready to stream (")), qPrintable(describe(s)));
        QCOMPARE(sha256Of(server.storedFile(s.videoId)), sha256Of(path));
        QCOMPARE(server.count("POST"), 1);  // one upload, continued after the pause
    }

    void aCancelledVideoGoesBackToWaitingAndStartsAgain()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        NodeClient client(server.url());
        const QString path = bigVideo(QStringLiteral("cancel.mp4"));
        QVERIFY(!path.isEmpty());
        UploadOptions options = videoOptions(m_dir.filePath(QStringLiteral("tus-b.json")));
        options.followProcessing = false;
        UploadTask task(&client, path, MediaKind::Video, options);
        bool cancelled = false;
        connect(&task, &UploadTask::progress, this, [&](qint64 sent, qint64 total) {
            if (!cancelled && sent > 0 && sent < total && !task.status().uploadUrl.isEmpty()) {
                cancelled = true;
                task.cancel();
            }
        });
        QSignalSpy cancelledSpy(&task, &UploadTask::cancelled);
        task.start();
        DESO_WAIT_VERIFY(!cancelledSpy.isEmpty() || ended(task), 30000);
        QCOMPARE(cancelledSpy.size(), 1);
        QCOMPARE(task.status().state, UploadState::Waiting);
        QCOMPARE(task.status().note, StatusNote::Cancelled);
        QCOMPARE(task.status().bytesSent, qint64(0));
        QCOMPARE(describe(task.status()), QStringLiteral("Cancelled"));
        QCOMPARE(server.count("DELETE"), 1);  // the server was told

        task.start();
        DESO_WAIT_VERIFY(ended(task), 60000);
        QVERIFY2(task.status().state == UploadState::Done, qPrintable(why(task)));
        QCOMPARE(server.count("POST"), 2);  // a new upload, not the terminated one
        QCOMPARE(sha256Of(server.storedFile(task.status().videoId)), sha256Of(path));
    }

    void aFileTheNodeCannotStreamFailsWithTheNodesReason()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        NodeClient client(server.url());
        const QString path = m_dir.filePath(QStringLiteral("noise.bin"));
        QVERIFY(testcommon::writeRandomFile(path, 100000, 5));
        UploadTask task(&client, path, MediaKind::Video, videoOptions(m_dir.filePath(QStringLiteral("tus-c.json"))));
        task.start();
        DESO_WAIT_VERIFY(ended(task), 60000);
        QCOMPARE(task.status().state, UploadState::Failed);
        QCOMPARE(task.status().note, StatusNote::NodeProcessing);
        QCOMPARE(task.status().error.code, QStringLiteral("video.error_state"));
        QVERIFY2(describe(task.status()).startsWith(QStringLiteral("The node could not process the video: ")), qPrintable(why(task)));
    }

    void aStoreThatCannotBeWrittenIsSaidNotDropped()
    {
        TestHost server;
        QVERIFY(server.start().ok());
        NodeClient client(server.url());
        // The store's folder is a regular file: remembering the upload URL must fail.
        const QString blocker = m_dir.filePath(QStringLiteral("not-a-folder"));
        QVERIFY(testcommon::writeRandomFile(blocker, 10, 1));
        const QString path = m_dir.filePath(QStringLiteral("clip.mp4"));
        QVERIFY(deso::nodetest::writeSampleClip(path).ok());
        UploadOptions options = videoOptions(blocker + QStringLiteral("/tus.json"));
        options.followProcessing = false;
        UploadTask task(&client, path, MediaKind::Video, options);
        QSignalSpy warnings(&task, &UploadTask::warning);
        task.start();
        DESO_WAIT_VERIFY(ended(task), 30000);
        QVERIFY2(task.status().state == UploadState::Done, qPrintable(why(task)));  // the upload itself goes on
        QVERIFY(!warnings.isEmpty());
        const auto problem = warnings.first().first().value<deso::Error>();
        QVERIFY(!problem.message.isEmpty());
    }

    void statusIsDataThatIsSavedAndWordedInOnePlace()
    {
        UploadStatus s;
        s.state = UploadState::Processing;
        s.note = StatusNote::NodeProcessing;
        s.bytesSent = s.bytesTotal = 1234;
        s.videoId = QStringLiteral("0123456789abcdef0123456789abcdef");
        s.uploadUrl = QStringLiteral("http://127.0.0.1:1/tus/abc");
        s.video = deso::node::VideoStatus::fromJson(s.videoId, QJsonObject{{QStringLiteral("ReadyToStream"), false},
                                                                           {QStringLiteral("state"), QStringLiteral("inprogress")},
                                                                           {QStringLiteral("pctComplete"), 40}});
        QCOMPARE(describe(s), QStringLiteral("Uploaded; the node says: processing (inprogress, 40 %)"));
        const QJsonObject saved = s.toJson();
        // Data, not words: no sentence is saved for a status that has none of its own.
        const QByteArray text = QJsonDocument(saved).toJson();
        QVERIFY2(!text.contains("Uploaded") && !text.contains("processing ("), text.constData());
        const UploadStatus back = UploadStatus::fromJson(saved);
        QCOMPARE(back.state, s.state);
        QCOMPARE(back.note, s.note);
        QCOMPARE(back.bytesSent, s.bytesSent);
        QCOMPARE(back.videoId, s.videoId);
        QCOMPARE(back.uploadUrl, s.uploadUrl);
        QVERIFY(back.video && back.video->state == QStringLiteral("inprogress"));
        QCOMPARE(describe(back), describe(s));

        UploadStatus failed;
        failed.state = UploadState::Failed;
        failed.error = deso::Error(QStringLiteral("server.refused"), QStringLiteral("File too large."), 400);
        const UploadStatus failedBack = UploadStatus::fromJson(failed.toJson());
        QCOMPARE(failedBack.error.code, failed.error.code);
        QCOMPARE(failedBack.error.httpStatus, 400);
        QCOMPARE(describe(failedBack), QStringLiteral("File too large."));

        for (UploadState state : {UploadState::Waiting, UploadState::Processing, UploadState::Uploading, UploadState::Paused,
                                  UploadState::Done, UploadState::Failed, UploadState::Refused})
            QCOMPARE(stateFromKey(stateKey(state)), state);
        UploadStatus queued;
        queued.note = StatusNote::Queued;
        QCOMPARE(describe(queued), QStringLiteral("Queued; starts when a slot is free"));
        UploadStatus retrying;
        retrying.state = UploadState::Uploading;
        retrying.note = StatusNote::Retrying;
        retrying.error = deso::Error(QStringLiteral("network.error"), QStringLiteral("Connection refused."));
        QCOMPARE(describe(retrying), QStringLiteral("Connection trouble; retrying (Connection refused.)"));

        // Compress-to-fit's offer and its copy: the limit and the copy's facts are data too.
        UploadStatus offered;
        offered.note = StatusNote::SmallerVideoOffered;
        offered.bytesTotal = 300 * 1024 * 1024;
        offered.videoLimit = deso::upload::videoLimit(true);
        QCOMPARE(describe(offered), QStringLiteral("Over the media server's 65.0 MB limit (this is 300.0 MB): make a smaller "
                                                   "copy that fits (the original stays as it is), or keep it as it is and it is refused."));
        UploadStatus ready = offered;
        ready.note = StatusNote::SmallerVideoReady;
        ready.copyBytes = 60 * 1024 * 1024;
        ready.copyWidth = 1280;
        ready.copyHeight = 720;
        const UploadStatus readyBack = UploadStatus::fromJson(ready.toJson());
        QCOMPARE(readyBack.videoLimit.bytes, ready.videoLimit.bytes);
        QVERIFY(readyBack.videoLimit.mediaServer);
        QCOMPARE(describe(readyBack), QStringLiteral("A copy that fits is ready: 1280×720, 60.0 MB (the original is 300.0 MB). "
                                                     "Preview it, then upload it or discard it."));
    }
};

QTEST_MAIN(TestUpload)
#include "tst_upload.moc"
