// A headless host (`deso-media --serve`) killed with SIGKILL while it processes
// a video (issue 17 item 3, issue 14): right after the upload completed, and at
// seeded random moments of the encode, several times over the same job. Between
// kills, while it runs and after each restart on the same data directory, nothing
// partial is served: /hls, /thumbnails and /download answer 404 until the status
// says ready, and from then on only complete files; the status never says ready
// early. The interrupted job resumes by itself and its outputs are valid: every
// rung's playlist and segments are served, the poster is a whole JPEG, the MP4
// download has moov before mdat and probes with the source's running time.
#include "rawhttpclient.h"
#include "reliabilitytools.h"
#include "syntheticclip.h"
#include "video/videoprobe.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QThread>
#include <QtTest>

extern "C" {
#include <libavutil/log.h>
}

using namespace reliability;
using namespace rawhttp;

namespace {

constexpr int kMidEncodeKills = 4;
constexpr int kReadyWaitMs = 180000;

std::optional<Answer> get(quint16 port, const QByteArray &path, QString *why)
{
    RawClient c;
    if (!c.connectTo(port)) {
        *why = QStringLiteral("cannot connect");
        return std::nullopt;
    }
    if (const QString sent = c.send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); !sent.isEmpty()) {
        *why = sent;
        return std::nullopt;
    }
    return c.read("GET", why, 30000);
}

// Creation with the whole file as its body (tus creation-with-upload): the
// upload is complete when the host answers. The Stream-Media-Id, or empty.
QString upload(quint16 port, const QByteArray &bytes, QString *why)
{
    RawClient c;
    if (!c.connectTo(port)) {
        *why = QStringLiteral("cannot connect");
        return {};
    }
    const QByteArray head = "POST /api/v0/upload-video HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Length: "
        + QByteArray::number(bytes.size()) + "\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: "
        + QByteArray::number(bytes.size()) + "\r\n\r\n";
    if (const QString sent = c.send(head + bytes); !sent.isEmpty()) {
        *why = sent;
        return {};
    }
    const auto a = c.read("POST", why, 60000);
    if (!a || (a->status != 200 && a->status != 204) || a->header("upload-offset").toLongLong() != bytes.size()) {
        *why = a ? QString::fromLatin1(a->brief()) : *why;
        return {};
    }
    return QString::fromLatin1(a->header("stream-media-id"));
}

QJsonObject status(quint16 port, const QString &id)
{
    QString why;
    const auto a = get(port, "/api/v0/get-video-status/" + id.toLatin1(), &why);
    return a && a->status == 200 ? QJsonDocument::fromJson(a->body).object() : QJsonObject();
}

// The playbackId the host stored for upload `id` (it names the output routes).
QString playbackIdOnDisk(const QString &dataDir, const QString &id)
{
    QFile f(dataDir + QStringLiteral("/uploads/") + id + QStringLiteral("/info.json"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object().value(QStringLiteral("playbackId")).toString();
}

// What the output routes serve for `playbackId`: empty when consistent, else what
// is wrong. Each route is 404 or a complete file; with `mustBeServed` (the status
// said ready before we asked) every one must be 200. *served: any route was 200.
QString checkOutputsOnce(quint16 port, const QString &playbackId, bool mustBeServed, bool *served, bool *publishedMeanwhile,
                         const QString &downloadCopy)
{
    *publishedMeanwhile = false;
    *served = false;
    QString why;
    const QByteArray pb = playbackId.toLatin1();
    auto fetch = [&](const QByteArray &path, std::optional<Answer> *out) -> QString {
        *out = get(port, path, &why);
        if (!*out)
            return QStringLiteral("GET %1: %2").arg(QString::fromLatin1(path), why);
        if ((*out)->status == 200) {
            *served = true;
            return {};
        }
        if ((*out)->status != 404 || mustBeServed)
            return QStringLiteral("GET %1: %2").arg(QString::fromLatin1(path), QString::fromLatin1((*out)->brief()));
        return {};
    };
    std::optional<Answer> master, poster, download;
    for (auto [path, out] : {std::pair{"/hls/" + pb + "/master.m3u8", &master}, std::pair{"/thumbnails/" + pb + ".jpg", &poster},
                             std::pair{"/download/" + pb + ".mp4", &download}}) {
        if (QString wrong = fetch(path, out); !wrong.isEmpty())
            return wrong;
    }
    if (master->status == 200) {
        if (!master->body.startsWith("#EXTM3U"))
            return QStringLiteral("the master playlist is not a playlist: %1").arg(QString::fromLatin1(master->body.left(80)));
        int rungs = 0;
        for (const QByteArray &line : master->body.split('\n')) {
            if (line.isEmpty() || line.startsWith('#'))
                continue;
            ++rungs;
            std::optional<Answer> media;
            if (QString wrong = fetch("/hls/" + pb + '/' + line.trimmed(), &media); !wrong.isEmpty())
                return wrong;
            if (media->status != 200 || !media->body.contains("#EXT-X-ENDLIST"))
                return QStringLiteral("rung playlist %1 is missing or unfinished while the master is served").arg(QString::fromLatin1(line));
            const QByteArray rungDir = line.left(line.lastIndexOf('/') + 1);
            for (const QByteArray &segment : media->body.split('\n')) {
                if (segment.isEmpty() || segment.startsWith('#'))
                    continue;
                std::optional<Answer> ts;
                if (QString wrong = fetch("/hls/" + pb + '/' + rungDir + segment.trimmed(), &ts); !wrong.isEmpty())
                    return wrong;
                if (ts->status != 200 || ts->body.isEmpty() || ts->body[0] != 0x47) // MPEG-TS sync byte
                    return QStringLiteral("segment %1%2 listed but not served whole").arg(QString::fromLatin1(rungDir), QString::fromLatin1(segment));
            }
        }
        if (rungs == 0)
            return QStringLiteral("the master playlist lists no rung");
    }
    if (poster->status == 200 && !(poster->body.startsWith("\xFF\xD8") && poster->body.endsWith("\xFF\xD9")))
        return QStringLiteral("the poster is not a whole JPEG (%1 bytes)").arg(poster->body.size());
    if (download->status == 200) {
        const qsizetype moov = download->body.indexOf("moov"), mdat = download->body.indexOf("mdat");
        if (moov < 0 || mdat < 0 || moov > mdat)
            return QStringLiteral("the download is not a whole faststart MP4 (%1 bytes)").arg(download->body.size());
        if (!downloadCopy.isEmpty()) {
            QFile f(downloadCopy);
            if (!f.open(QIODevice::WriteOnly) || f.write(download->body) != download->body.size())
                return QStringLiteral("cannot keep the download for probing");
        }
    }
    const bool all = master->status == 200 && poster->status == 200 && download->status == 200;
    // The routes are asked one after another: 404s followed only by 200s is what an
    // all-at-once publish between two of the requests looks like.
    *publishedMeanwhile = *served && !all && !(master->status == 200 && poster->status != 200)
                          && !(poster->status == 200 && download->status != 200);
    if (*served && !all)
        return QStringLiteral("some outputs are served and others not (hls %1, thumbnail %2, download %3)")
            .arg(master->status).arg(poster->status).arg(download->status);
    return {};
}

// checkOutputsOnce, asked again once when the outputs were published between its
// requests; the second look must then see every output whole.
QString checkOutputs(quint16 port, const QString &playbackId, bool mustBeServed, bool *served, const QString &downloadCopy = {})
{
    bool publishedMeanwhile = false;
    const QString wrong = checkOutputsOnce(port, playbackId, mustBeServed, served, &publishedMeanwhile, downloadCopy);
    if (!publishedMeanwhile)
        return wrong;
    return checkOutputsOnce(port, playbackId, true, served, &publishedMeanwhile, downloadCopy);
}

} // namespace

class TestProcessingCrash : public QObject {
    Q_OBJECT

private slots:
    void killedDuringProcessingResumesAndNeverServesPartialOutputs()
    {
        av_log_set_level(AV_LOG_QUIET);
        auto dir = scratchDir(256 * MiB);
        QVERIFY(dir->isValid());
        const QString clipPath = dir->filePath(QStringLiteral("clip720.mp4"));
        const QByteArray bytes = syntheticClipBytes(clipPath, 1280, 720, 4.0);
        QVERIFY(!bytes.isEmpty());
        const double sourceSeconds = deso::video::VideoProbe::probe(clipPath).value().durationSeconds;

        const QString dataDir = dir->filePath(QStringLiteral("host"));
        ServeProcess host(dataDir);
        QString why;
        QVERIFY2(host.start(0, &why), qPrintable(why));
        const quint16 port = quint16(host.url().port());

        // Watches upload `id` until `untilMs` has passed, it is ready or it reaches
        // `stopAt`: every status and every route answer must agree. Returns the state
        // last seen.
        int checks = 0;
        auto watch = [&](const QString &id, qint64 untilMs, QString *wrong, const QString &stopAt = QString()) {
            QElapsedTimer clock;
            clock.start();
            QString state;
            do {
                state = status(port, id).value(QStringLiteral("state")).toString();
                const QString pb = playbackIdOnDisk(dataDir, id);
                if (!pb.isEmpty()) {
                    bool served = false;
                    const bool ready = state == QLatin1String("ready");
                    *wrong = checkOutputs(port, pb, ready, &served);
                    ++checks;
                    if (wrong->isEmpty() && served && !ready) {
                        // Served before the status said so: only fine if it became ready meanwhile.
                        if (status(port, id).value(QStringLiteral("state")).toString() != QLatin1String("ready"))
                            *wrong = QStringLiteral("outputs served while the status says %1").arg(state);
                    }
                    if (!wrong->isEmpty() || ready)
                        return state;
                }
                if (!stopAt.isEmpty() && state == stopAt)
                    return state;
                if (state == QLatin1String("error")) {
                    *wrong = QStringLiteral("processing failed: %1").arg(status(port, id).value(QStringLiteral("errorMessage")).toString());
                    return state;
                }
                QThread::msleep(20);
            } while (clock.elapsed() < untilMs);
            return state;
        };

        // How long one processing takes here, so the kills spread over all of it.
        QElapsedTimer clock;
        clock.start();
        const QString calibration = upload(port, bytes, &why);
        QVERIFY2(!calibration.isEmpty(), qPrintable(why));
        QString wrong;
        const QString calibrated = watch(calibration, kReadyWaitMs, &wrong);
        QVERIFY2(wrong.isEmpty(), qPrintable(wrong));
        QCOMPARE(calibrated, QStringLiteral("ready"));
        const qint64 processMs = qMax<qint64>(200, clock.elapsed());

        // Kill 1: the instant the upload completed (the job is queued or just started).
        const QString id = upload(port, bytes, &why);
        QVERIFY2(!id.isEmpty(), qPrintable(why));
        host.kill();
        int kills = 1;
        QStringList killedIn{QStringLiteral("after upload")};

        // Kills 2..: at random moments of the resumed encode.
        QRandomGenerator random(2026);
        int sawInProgress = 0;
        for (int i = 0; i < kMidEncodeKills; ++i) {
            QVERIFY2(host.start(port, &why), qPrintable(why));
            // Kill a random moment after the resumed job is seen running: timed from the
            // restart instead, a slow restart on a loaded machine killed it still queued.
            QString state = watch(id, kReadyWaitMs, &wrong, QStringLiteral("inprogress"));
            QVERIFY2(wrong.isEmpty(), qPrintable(QStringLiteral("restart %1: %2").arg(i + 1).arg(wrong)));
            const qint64 at = qint64(processMs * (0.05 + 0.6 * random.generateDouble()));
            if (state == QLatin1String("inprogress")) {
                const QString later = watch(id, at, &wrong);
                QVERIFY2(wrong.isEmpty(), qPrintable(QStringLiteral("restart %1: %2").arg(i + 1).arg(wrong)));
                state = later == QLatin1String("ready") ? later : state;
            }
            const bool mediaPartial = QDir(dataDir + QStringLiteral("/uploads/") + id + QStringLiteral("/media.partial")).exists();
            host.kill();
            ++kills;
            sawInProgress += state == QLatin1String("inprogress");
            killedIn << QStringLiteral("%1 ms in (%2%3)").arg(at).arg(state, mediaPartial ? QStringLiteral(", partial outputs on disk") : QString());
            if (state == QLatin1String("ready"))
                break; // finished before this kill: the last restart below checks it stays ready
        }
        QVERIFY2(sawInProgress > 0, "no kill landed while the job was in progress");

        // The last restart: the job resumes by itself and ends ready, outputs valid.
        QVERIFY2(host.start(port, &why), qPrintable(why));
        const QString finalState = watch(id, kReadyWaitMs, &wrong);
        QVERIFY2(wrong.isEmpty(), qPrintable(wrong));
        QCOMPARE(finalState, QStringLiteral("ready"));
        const QJsonObject done = status(port, id);
        QCOMPARE(done.value(QStringLiteral("ReadyToStream")).toBool(), true);
        bool served = false;
        const QString download = dir->filePath(QStringLiteral("download.mp4"));
        wrong = checkOutputs(port, playbackIdOnDisk(dataDir, id), true, &served, download);
        QVERIFY2(wrong.isEmpty(), qPrintable(wrong));
        const auto probed = deso::video::VideoProbe::probe(download);
        QVERIFY2(probed.ok(), probed.ok() ? "" : qPrintable(probed.error().message));
        QVERIFY2(std::abs(probed->durationSeconds - sourceSeconds) <= 0.1,
                 qPrintable(QStringLiteral("%1 s vs %2 s").arg(probed->durationSeconds).arg(sourceSeconds)));
        QVERIFY(!QDir(dataDir + QStringLiteral("/uploads/") + id + QStringLiteral("/media.partial")).exists());
        // The finished calibration job was not redone and is still whole.
        wrong = checkOutputs(port, playbackIdOnDisk(dataDir, calibration), true, &served);
        QVERIFY2(wrong.isEmpty(), qPrintable(wrong));
        qInfo("processing crash: %d SIGKILLs of one job (%s); one processing %lld ms; %d consistency checks; "
              "resumed to ready, outputs complete and valid",
              kills, qPrintable(killedIn.join(QStringLiteral("; "))), processMs, checks);
    }
};

QTEST_MAIN(TestProcessingCrash)
#include "tst_processing_crash.moc"
