// The HLS engine on real clips made in the test: ladder, playlists, segments
// (decodable, keyframe first, aligned across rungs), durations, poster, MP4
// faststart, cancellation, bad inputs.

#include "nodetest/sampleclip.h"
#include "syntheticclip.h"
#include "video/hlstranscoder.h"
#include "video/videojobpool.h"

#include <QDebug>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QRegularExpression>
#include <QSemaphore>
#include <QTemporaryDir>
#include <QTest>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/log.h>
}

using namespace deso::video;

namespace {

struct SegmentFacts {
    bool opened = false;
    int width = 0, height = 0;
    bool firstVideoPacketIsKey = false;
    QList<double> keyframeTimes; // seconds
    bool hasAudio = false;
};

SegmentFacts probeSegment(const QString &path)
{
    SegmentFacts f;
    AVFormatContext *ctx = nullptr;
    if (avformat_open_input(&ctx, QFile::encodeName(path).constData(), nullptr, nullptr) < 0)
        return f;
    if (avformat_find_stream_info(ctx, nullptr) < 0) {
        avformat_close_input(&ctx);
        return f;
    }
    f.opened = true;
    const int v = av_find_best_stream(ctx, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    f.hasAudio = av_find_best_stream(ctx, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0) >= 0;
    if (v >= 0) {
        f.width = ctx->streams[v]->codecpar->width;
        f.height = ctx->streams[v]->codecpar->height;
    }
    AVPacket *pkt = av_packet_alloc();
    bool first = true;
    while (av_read_frame(ctx, pkt) >= 0) {
        if (pkt->stream_index == v) {
            const bool key = pkt->flags & AV_PKT_FLAG_KEY;
            if (first)
                f.firstVideoPacketIsKey = key;
            first = false;
            if (key)
                f.keyframeTimes.append(double(pkt->pts) * av_q2d(ctx->streams[v]->time_base));
        }
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    avformat_close_input(&ctx);
    return f;
}

struct MediaPlaylist {
    QList<double> durations;
    QStringList segments;
    bool ended = false;
};

MediaPlaylist parseMediaPlaylist(const QString &path)
{
    MediaPlaylist m;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return m;
    const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'));
    for (const QString &line : lines) {
        if (line.startsWith(QLatin1String("#EXTINF:")))
            m.durations.append(line.mid(8).section(QLatin1Char(','), 0, 0).toDouble());
        else if (line == QLatin1String("#EXT-X-ENDLIST"))
            m.ended = true;
        else if (!line.isEmpty() && !line.startsWith(QLatin1Char('#')))
            m.segments.append(line);
    }
    return m;
}

// Top-level MP4 boxes in file order.
QStringList topLevelBoxes(const QString &path)
{
    QStringList boxes;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return boxes;
    qint64 pos = 0;
    while (pos + 8 <= f.size()) {
        f.seek(pos);
        const QByteArray head = f.read(16);
        quint64 size = (quint8(head[0]) << 24) | (quint8(head[1]) << 16) | (quint8(head[2]) << 8) | quint8(head[3]);
        if (size == 1 && head.size() == 16) {
            size = 0;
            for (int i = 8; i < 16; ++i)
                size = (size << 8) | quint8(head[i]);
        }
        boxes.append(QString::fromLatin1(head.mid(4, 4)));
        if (size < 8)
            break;
        pos += qint64(size);
    }
    return boxes;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

double meanLuma(const QImage &image)
{
    const QImage g = image.convertToFormat(QImage::Format_Grayscale8);
    double sum = 0;
    for (int y = 0; y < g.height(); ++y)
        for (int x = 0; x < g.width(); ++x)
            sum += g.constScanLine(y)[x];
    return sum / (double(g.width()) * g.height());
}

} // namespace

class TestVideoEngine : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_clip720; // 1280x720, 3 s, with audio

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        av_log_set_level(AV_LOG_QUIET); // the encoders' statistics would drown the test log
        m_clip720 = m_dir.filePath(QStringLiteral("src720.mp4"));
        SyntheticClip clip;
        clip.width = 1280;
        clip.height = 720;
        clip.seconds = 3.0;
        auto s = writeSyntheticClip(m_clip720, clip);
        QVERIFY2(s.ok(), s.ok() ? "" : qPrintable(s.error().message));
    }

    void ladderIsDerivedFromTheSource()
    {
        auto names = [](int w, int h, int topLines = 1080) {
            QStringList out;
            for (const auto &r : ladderFor(w, h, topLines))
                out << QStringLiteral("%1x%2").arg(r.width).arg(r.height);
            return out.join(QLatin1Char(' '));
        };
        QCOMPARE(names(1920, 1080), QStringLiteral("640x360 1280x720 1920x1080"));
        QCOMPARE(names(1280, 720), QStringLiteral("640x360 1280x720"));
        QCOMPARE(names(3840, 2160), QStringLiteral("640x360 1280x720 1920x1080"));
        QCOMPARE(names(320, 180), QStringLiteral("320x180"));   // never upscaled
        QCOMPARE(names(854, 480), QStringLiteral("640x360 854x480"));
        QCOMPARE(names(720, 1280), QStringLiteral("360x640 720x1280")); // portrait: the short side counts
        // A lower top (HlsOptions::topRungLines): the 720p + 360p ladder for a 1080p source.
        QCOMPARE(names(1920, 1080, 720), QStringLiteral("640x360 1280x720"));
        QCOMPARE(names(640, 360, 720), QStringLiteral("640x360"));
        for (const auto &r : ladderFor(1080, 1920)) {
            QVERIFY(r.width % 2 == 0 && r.height % 2 == 0);
            QVERIFY(r.width <= 1080);
        }
    }

    void transcodesALadderWithPosterAndDownload()
    {
        const QString out = m_dir.filePath(QStringLiteral("out720"));
        QList<double> progress;
        auto r = HlsTranscoder::transcode(m_clip720, out, HlsOptions{}, nullptr, [&](double p) { progress.append(p); });
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().toString()));
        QCOMPARE(r->rungs.size(), 2);
        // Its 5 s GOP is too long for 2-4 s segments: encoded, not copied.
        QVERIFY(r->remuxedRungs.isEmpty());
        QVERIFY(!progress.isEmpty());
        QCOMPARE(progress.last(), 1.0);
        for (int i = 1; i < progress.size(); ++i)
            QVERIFY(progress[i] >= progress[i - 1]);

        // Master playlist: one entry per rung, largest first.
        QFile master(r->masterPlaylist);
        QVERIFY(master.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(master.readAll());
        QVERIFY(text.startsWith(QLatin1String("#EXTM3U")));
        QCOMPARE(text.count(QLatin1String("#EXT-X-STREAM-INF")), 2);
        QVERIFY(text.contains(QLatin1String("RESOLUTION=1280x720")));
        QVERIFY(text.contains(QLatin1String("RESOLUTION=640x360")));
        QVERIFY(text.indexOf(QLatin1String("720p/index.m3u8")) < text.indexOf(QLatin1String("360p/index.m3u8")));

        QList<QList<double>> keyframesPerRung;
        for (const HlsRung &rung : r->rungs) {
            const QString dir = QDir(out).filePath(rung.name);
            const MediaPlaylist m = parseMediaPlaylist(QDir(dir).filePath(QStringLiteral("index.m3u8")));
            QVERIFY(m.ended);
            if (m.segments.size() < 2)
                qWarning() << "keyframes" << probeSegment(QDir(dir).filePath(m.segments.value(0))).keyframeTimes;
            QVERIFY2(m.segments.size() >= 2, qPrintable(rung.name + QLatin1Char(' ') + QString::fromLatin1(readAll(QDir(dir).filePath(QStringLiteral("index.m3u8"))))));
            double total = 0;
            for (double d : m.durations) {
                total += d;
                QVERIFY2(d <= 4.0 + 0.05, qPrintable(QStringLiteral("%1: segment of %2 s").arg(rung.name).arg(d)));
            }
            QVERIFY2(qAbs(total - r->source.durationSeconds) <= 0.1,
                     qPrintable(QStringLiteral("%1: %2 s of segments for %3 s").arg(rung.name).arg(total).arg(r->source.durationSeconds)));
            QList<double> keys;
            for (const QString &seg : m.segments) {
                const SegmentFacts f = probeSegment(QDir(dir).filePath(seg));
                QVERIFY2(f.opened, qPrintable(seg));
                QCOMPARE(f.width, rung.width);
                QCOMPARE(f.height, rung.height);
                QVERIFY2(f.firstVideoPacketIsKey, qPrintable(rung.name + QLatin1Char('/') + seg));
                QVERIFY(f.hasAudio);
                keys += f.keyframeTimes;
            }
            keyframesPerRung.append(keys);
        }
        QCOMPARE(keyframesPerRung[0], keyframesPerRung[1]); // aligned across rungs

        // Poster: a JPEG with the source's aspect, not the black first frame.
        QFile poster(r->posterPath);
        QVERIFY(poster.open(QIODevice::ReadOnly));
        QVERIFY(poster.read(3) == QByteArray("\xff\xd8\xff"));
        const QImage image(r->posterPath);
        QVERIFY(!image.isNull());
        QCOMPARE(double(image.width()) / image.height(), 1280.0 / 720.0);
        QVERIFY2(meanLuma(image) > 40, qPrintable(QString::number(meanLuma(image))));
        QVERIFY(r->thumbnailPaths.size() >= 2);
        for (const QString &t : r->thumbnailPaths)
            QVERIFY(!QImage(t).isNull());

        // Download: an MP4 with moov before mdat, which plays.
        const QStringList boxes = topLevelBoxes(r->downloadPath);
        QVERIFY2(boxes.contains(QLatin1String("moov")) && boxes.contains(QLatin1String("mdat")), qPrintable(boxes.join(',')));
        QVERIFY2(boxes.indexOf(QLatin1String("moov")) < boxes.indexOf(QLatin1String("mdat")), qPrintable(boxes.join(',')));
        auto probed = VideoProbe::probe(r->downloadPath);
        QVERIFY(probed.ok());
        QCOMPARE(probed->width, 1280);
        QVERIFY(qAbs(probed->durationSeconds - r->source.durationSeconds) <= 0.15);
    }

    void h264SourceAtRungSizeIsRemuxed()
    {
        const QString src = m_dir.filePath(QStringLiteral("src720-gop2.mp4"));
        SyntheticClip clip;
        clip.width = 1280;
        clip.height = 720;
        clip.seconds = 3.0;
        clip.keyframeSeconds = 1.0;
        QVERIFY(writeSyntheticClip(src, clip).ok());
        const QString out = m_dir.filePath(QStringLiteral("outremux"));
        auto r = HlsTranscoder::transcode(src, out, HlsOptions{}, nullptr, {});
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().toString()));
        QCOMPARE(r->remuxedRungs, QStringList{QStringLiteral("720p")});
        QList<QList<double>> keyframesPerRung;
        for (const HlsRung &rung : r->rungs) {
            const QString dir = QDir(out).filePath(rung.name);
            const MediaPlaylist m = parseMediaPlaylist(QDir(dir).filePath(QStringLiteral("index.m3u8")));
            double total = 0;
            for (double d : m.durations)
                total += d;
            QVERIFY2(qAbs(total - r->source.durationSeconds) <= 0.1,
                     qPrintable(QStringLiteral("%1: %2 s (%3) for %4 s").arg(rung.name).arg(total).arg(QString::fromLatin1(readAll(QDir(dir).filePath(QStringLiteral("index.m3u8"))))).arg(r->source.durationSeconds)));
            QList<double> keys;
            for (const QString &seg : m.segments) {
                const SegmentFacts f = probeSegment(QDir(dir).filePath(seg));
                QVERIFY(f.opened);
                QCOMPARE(f.width, rung.width);
                QVERIFY(f.firstVideoPacketIsKey);
                keys += f.keyframeTimes;
            }
            keyframesPerRung.append(keys);
        }
        QCOMPARE(keyframesPerRung[0], keyframesPerRung[1]);
        const QStringList boxes = topLevelBoxes(r->downloadPath);
        QVERIFY2(boxes.indexOf(QLatin1String("moov")) >= 0 && boxes.indexOf(QLatin1String("moov")) < boxes.indexOf(QLatin1String("mdat")),
                 qPrintable(boxes.join(',')));
        QVERIFY(VideoProbe::probe(r->downloadPath).ok());

    }

    void smallSourceIsNeverUpscaled()
    {
        const QString src = m_dir.filePath(QStringLiteral("sample.mp4"));
        QVERIFY(deso::nodetest::writeSampleClip(src).ok());
        auto r = HlsTranscoder::transcode(src, m_dir.filePath(QStringLiteral("outsample")), HlsOptions{}, nullptr, {});
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().toString()));
        QCOMPARE(r->rungs.size(), 1);
        QCOMPARE(r->rungs[0].width, 320);
        QCOMPARE(r->rungs[0].height, 180);
        const QImage poster(r->posterPath);
        QCOMPARE(poster.size(), QSize(320, 180));
    }

    void cancellationStopsTheJob()
    {
        std::atomic<bool> cancel = false;
        auto r = HlsTranscoder::transcode(m_clip720, m_dir.filePath(QStringLiteral("outcancel")), HlsOptions{}, &cancel,
                                          [&](double p) {
                                              if (p > 0.1)
                                                  cancel = true;
                                          });
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, kErrCancelled);
    }

    void badInputsFailWithASentence_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("code");
        QTest::newRow("random bytes") << "random" << kErrNonVideo;
        QTest::newRow("text") << "text" << kErrNonVideo;
        QTest::newRow("audio only") << "audio" << kErrNonVideo;
        QTest::newRow("truncated mp4") << "truncated" << kErrMalformedVideo;
        QTest::newRow("corrupted mp4") << "corrupted" << QString();
        QTest::newRow("missing file") << "missing" << QString();
    }

    void badInputsFailWithASentence()
    {
        QFETCH(QString, kind);
        QFETCH(QString, code);
        const QString path = m_dir.filePath(QStringLiteral("bad-") + kind);
        QFile f(path);
        if (kind == QLatin1String("random")) {
            QVERIFY(f.open(QIODevice::WriteOnly));
            QByteArray bytes(64 * 1024, '\0');
            for (int i = 0; i < bytes.size(); ++i)
                bytes[i] = char((i * 7919 + 13) % 251);
            f.write(bytes);
        } else if (kind == QLatin1String("text")) {
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("hello, this is not a video\n");
        } else if (kind == QLatin1String("audio")) {
            SyntheticClip clip;
            clip.video = false;
            clip.seconds = 1;
            QVERIFY(writeSyntheticClip(path, clip).ok());
        } else if (kind == QLatin1String("truncated") || kind == QLatin1String("corrupted")) {
            QFile src(m_clip720);
            QVERIFY(src.open(QIODevice::ReadOnly));
            QByteArray bytes = src.readAll();
            if (kind == QLatin1String("truncated"))
                bytes.truncate(bytes.size() / 2); // moov is at the end: gone
            else
                for (qsizetype i = 4096; i < bytes.size() - 4096; i += 97)
                    bytes[i] = char(bytes[i] ^ 0x5a); // damaged media data, container intact
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(bytes);
        }
        f.close();
        auto r = HlsTranscoder::transcode(path, m_dir.filePath(QStringLiteral("out-") + kind), HlsOptions{}, nullptr, {});
        if (kind == QLatin1String("corrupted")) {
            // Damaged frames decode as damaged pictures, as players show them;
            // either outcome is fine as long as it is a value, never a crash.
            if (!r.ok())
                QVERIFY(!r.error().message.isEmpty());
            return;
        }
        QVERIFY(!r.ok());
        QVERIFY(!r.error().message.isEmpty());
        if (!code.isEmpty())
            QCOMPARE(r.error().code, code);
    }

    void jobPoolRunsAndCancels()
    {
        VideoJobPool pool(1);
        QCOMPARE(pool.maxConcurrentJobs(), 1);
        QSemaphore started, release;
        std::atomic<bool> secondRan = false, firstSawCancel = false;
        pool.submit(QStringLiteral("a"), [&](const std::atomic<bool> &cancelled) {
            started.release();
            release.acquire();
            firstSawCancel = cancelled.load();
        });
        pool.submit(QStringLiteral("b"), [&](const std::atomic<bool> &) { secondRan = true; });
        started.acquire();
        pool.cancel(QStringLiteral("b")); // queued behind "a": never runs
        pool.cancel(QStringLiteral("a")); // running: sees its flag
        release.release();
        pool.waitForDone();
        QVERIFY(firstSawCancel);
        QVERIFY(!secondRan);
    }
};

QTEST_GUILESS_MAIN(TestVideoEngine)
#include "tst_video_engine.moc"
