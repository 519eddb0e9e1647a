// Animated WebPs (frames with offsets, blending and disposal, an ANIM background colour,
// alpha) made here with libwebp's own encoders (WebPAnimEncoder, WebPMux), uploaded to
// the real host's upload-image, and compared with what libvips (the node's image
// library) makes of the same files: the full-size composite must equal `vips copy`
// pixel for pixel, and the stored WebP must match `vips thumbnail` at the same size.
#include "host/endpointhost.h"
#include "image/acceptablefile.h"
#include "identity/jwt.h"
#include "identity/keys.h"
#include "image/imagepipeline.h"
#include "image/scaleddecoder.h"
#include "image/thumbnailer.h"
#include "imagetestfiles.h"
#include "processrun.h"

#include "../host/testhttp.h"

#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPainter>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <webp/demux.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include <cmath>

#include <sys/resource.h>

using namespace deso;
using namespace deso::image;

namespace {

// ------------------------------------------------------------ making animated WebPs

// Smooth colours with a soft disc, so lossy coding leaves SSIM meaningful.
QImage drawFrame(QSize size, int seed, bool transparentBackground, bool alphaGradient = false)
{
    QImage img(size, QImage::Format_RGBA8888);
    img.fill(Qt::transparent);
    for (int y = 0; y < size.height(); ++y) {
        uchar *p = img.scanLine(y);
        for (int x = 0; x < size.width(); ++x) {
            if (!transparentBackground) {
                p[x * 4 + 0] = uchar((x * 255 / std::max(1, size.width() - 1) + seed * 50) % 256);
                p[x * 4 + 1] = uchar(y * 255 / std::max(1, size.height() - 1));
                p[x * 4 + 2] = uchar(90 + seed * 30);
                p[x * 4 + 3] = alphaGradient ? uchar(x * 255 / std::max(1, size.width() - 1)) : 255;
            }
        }
    }
    QPainter painter(&img);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(Qt::NoPen);
    painter.setBrush(QColor::fromHsv((seed * 47) % 360, 200, 230));
    const int r = std::min(size.width(), size.height()) / 4;
    painter.drawEllipse(QPoint(size.width() / 2 + (seed % 3 - 1) * r / 2, size.height() / 2), r, r);
    return img;
}

QByteArray webpStill(const QImage &rgba, bool lossless)
{
    WebPConfig config;
    WebPConfigInit(&config);
    config.quality = 90;
    config.lossless = lossless;
    config.exact = lossless;  // keep colour under transparent pixels: libvips copies the first frame with it
    const QImage src = rgba.convertToFormat(QImage::Format_RGBA8888);
    return imagetest::encodeWebpPixels(config, src.width(), src.height(), src.constBits(), int(src.bytesPerLine()), true);
}

struct MuxFrame {
    QByteArray webp;  // a still WebP file (VP8, VP8L or VP8X+ALPH+VP8)
    QPoint offset;    // even numbers: ANMF stores offset / 2
    bool blend = true;
    bool disposeToBackground = false;
};

// Every ANMF field set by hand, through libwebp's muxer.
QByteArray muxAnimation(QSize canvas, const QList<MuxFrame> &frames, quint32 backgroundBgra = 0xFFFFFFFFu)
{
    WebPMux *mux = WebPMuxNew();
    for (const MuxFrame &f : frames) {
        WebPMuxFrameInfo info {};
        info.bitstream = {reinterpret_cast<const uint8_t *>(f.webp.constData()), size_t(f.webp.size())};
        info.x_offset = f.offset.x();
        info.y_offset = f.offset.y();
        info.duration = 100;
        info.id = WEBP_CHUNK_ANMF;
        info.dispose_method = f.disposeToBackground ? WEBP_MUX_DISPOSE_BACKGROUND : WEBP_MUX_DISPOSE_NONE;
        info.blend_method = f.blend ? WEBP_MUX_BLEND : WEBP_MUX_NO_BLEND;
        if (WebPMuxPushFrame(mux, &info, 1) != WEBP_MUX_OK) {
            WebPMuxDelete(mux);
            return {};
        }
    }
    const WebPMuxAnimParams params {backgroundBgra, 0};
    WebPData assembled {};
    const bool ok = WebPMuxSetAnimationParams(mux, &params) == WEBP_MUX_OK
        && WebPMuxSetCanvasSize(mux, canvas.width(), canvas.height()) == WEBP_MUX_OK
        && WebPMuxAssemble(mux, &assembled) == WEBP_MUX_OK;
    WebPMuxDelete(mux);
    QByteArray out = ok ? QByteArray(reinterpret_cast<const char *>(assembled.bytes), qsizetype(assembled.size))
                        : QByteArray();
    WebPDataClear(&assembled);
    return out;
}

// What gif2webp/img2webp and sticker tools do: whole frames in, libwebp's animation
// encoder trims each to the changed rectangle (the first one to its opaque part).
QByteArray animEncoderAnimation(const QList<QImage> &frames)
{
    const QSize size = frames.first().size();
    WebPAnimEncoderOptions options;
    WebPAnimEncoderOptionsInit(&options);
    WebPAnimEncoder *enc = WebPAnimEncoderNew(size.width(), size.height(), &options);
    WebPConfig config;
    WebPConfigInit(&config);
    config.quality = 90;
    int timestamp = 0;
    bool ok = enc != nullptr;
    for (const QImage &frame : frames) {
        WebPPicture pic;
        WebPPictureInit(&pic);
        pic.width = size.width();
        pic.height = size.height();
        pic.use_argb = 1;
        const QImage src = frame.convertToFormat(QImage::Format_RGBA8888);
        ok = ok && WebPPictureImportRGBA(&pic, src.constBits(), int(src.bytesPerLine()))
            && WebPAnimEncoderAdd(enc, &pic, timestamp, &config);
        WebPPictureFree(&pic);
        timestamp += 80;
    }
    WebPData assembled {};
    ok = ok && WebPAnimEncoderAdd(enc, nullptr, timestamp, nullptr) && WebPAnimEncoderAssemble(enc, &assembled);
    WebPAnimEncoderDelete(enc);
    QByteArray out = ok ? QByteArray(reinterpret_cast<const char *>(assembled.bytes), qsizetype(assembled.size))
                        : QByteArray();
    WebPDataClear(&assembled);
    return out;
}

struct FirstFrame {
    QRect rect;
    int frames = 0;
};

FirstFrame firstFrameOf(const QByteArray &webp)
{
    FirstFrame f;
    const WebPData data {reinterpret_cast<const uint8_t *>(webp.constData()), size_t(webp.size())};
    WebPDemuxer *demux = WebPDemux(&data);
    WebPIterator it {};
    if (demux && WebPDemuxGetFrame(demux, 1, &it)) {
        f.rect = QRect(it.x_offset, it.y_offset, it.width, it.height);
        f.frames = it.num_frames;
        WebPDemuxReleaseIterator(&it);
    }
    WebPDemuxDelete(demux);
    return f;
}

// A VP8L bitstream header claiming `size` with no pixel data behind it: enough for
// the muxer, the demuxer and a header check, never decoded.
QByteArray losslessHeaderOnly(QSize size)
{
    const quint32 bits = quint32(size.width() - 1) | quint32(size.height() - 1) << 14 | 1u << 28;
    QByteArray vp8l("\x2f", 1);
    for (int i = 0; i < 4; ++i)
        vp8l.append(char((bits >> (8 * i)) & 0xff));
    vp8l.append(QByteArray(27, '\0'));
    auto le32 = [](quint32 v) {
        QByteArray b;
        for (int i = 0; i < 4; ++i)
            b.append(char((v >> (8 * i)) & 0xff));
        return b;
    };
    const QByteArray chunk = "VP8L" + le32(quint32(vp8l.size())) + vp8l;
    return "RIFF" + le32(quint32(4 + chunk.size())) + "WEBP" + chunk;
}

// ------------------------------------------------------------ comparing images

QImage decodeWebp(const QByteArray &webp, bool *hasAlpha = nullptr)
{
    WebPBitstreamFeatures features {};
    if (WebPGetFeatures(reinterpret_cast<const uint8_t *>(webp.constData()), size_t(webp.size()), &features)
        != VP8_STATUS_OK)
        return {};
    if (hasAlpha)
        *hasAlpha = features.has_alpha;
    QImage img(features.width, features.height, QImage::Format_RGBA8888);
    if (!WebPDecodeRGBAInto(reinterpret_cast<const uint8_t *>(webp.constData()), size_t(webp.size()), img.bits(),
                            size_t(img.sizeInBytes()), int(img.bytesPerLine())))
        return {};
    return img;
}

// Mean SSIM (8×8 windows, step 4, the usual constants) of R, G and B after compositing
// both images over black and over white; the lower of the two, so a difference in
// alpha counts as much as one in colour.
double ssim(const QImage &a, const QImage &b)
{
    if (a.size() != b.size() || a.isNull())
        return -1;
    const QImage ra = a.convertToFormat(QImage::Format_RGBA8888), rb = b.convertToFormat(QImage::Format_RGBA8888);
    const int w = a.width(), h = a.height(), win = std::min({8, w, h});
    constexpr double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
    double worst = 1;
    for (const int background : {0, 255}) {
        auto value = [&](const QImage &img, int x, int y, int c) {
            const uchar *p = img.constScanLine(y) + x * 4;
            return (p[c] * p[3] + background * (255 - p[3])) / 255.0;
        };
        double sum = 0;
        int windows = 0;
        for (int c = 0; c < 3; ++c) {
            for (int y0 = 0; y0 + win <= h; y0 += 4) {
                for (int x0 = 0; x0 + win <= w; x0 += 4) {
                    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
                    for (int y = y0; y < y0 + win; ++y) {
                        for (int x = x0; x < x0 + win; ++x) {
                            const double va = value(ra, x, y, c), vb = value(rb, x, y, c);
                            sa += va; sb += vb; saa += va * va; sbb += vb * vb; sab += va * vb;
                        }
                    }
                    const double n = win * win, ma = sa / n, mb = sb / n;
                    const double va = saa / n - ma * ma, vb = sbb / n - mb * mb, cov = sab / n - ma * mb;
                    sum += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
                    ++windows;
                }
            }
        }
        worst = std::min(worst, sum / windows);
    }
    return worst;
}

QString vipsProgram()
{
    return QStandardPaths::findExecutable(QStringLiteral("vips"));
}

bool runVips(const QStringList &args)
{
    const auto run = testcommon::runProcess(vipsProgram(), args);
    if (run.exitCode != 0)
        qWarning() << "vips" << args << "failed:" << run.err;
    return run.exitCode == 0;
}

struct Case {
    QByteArray file;
    QSize canvas;
    bool alpha = true;            // what libvips (and so the node) keeps
    bool partialFirstFrame = true;
};

} // namespace

class TestAnimatedWebp : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<host::EndpointHost> m_host;
    QNetworkAccessManager m_nam;
    identity::PrivateKey m_key = identity::PrivateKey::generate();
    QMap<QString, Case> m_cases;
    QMap<QString, QByteArray> m_stored;  // what the host stored, per case

    HttpReply upload(const QByteArray &file)
    {
        return httpPostForm(
            m_nam, m_host->baseUrl().resolved(QUrl(QStringLiteral("/api/v0/upload-image"))),
            {{"UserPublicKeyBase58Check", m_key.publicKey().toBase58Check(identity::Network::Mainnet).toLatin1(), {}, {}},
             {"JWT", identity::signJwt(m_key).toLatin1(), {}, {}},
             {"file", file, "sticker.webp", "image/webp"}},
            60000);
    }

    // A file in the test's folder for vips to read.
    QString writeFile(const QString &name, const QByteArray &bytes)
    {
        const QString path = m_dir.filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
            return {};
        return path;
    }

    static QString errorOf(const HttpReply &r)
    {
        return QJsonDocument::fromJson(r.body).object().value(QStringLiteral("error")).toString();
    }

    void addCaseRows()
    {
        QTest::addColumn<QString>("name");
        for (auto it = m_cases.cbegin(); it != m_cases.cend(); ++it)
            QTest::newRow(qPrintable(it.key())) << it.key();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        host::HostConfig config;
        config.dataDir = m_dir.filePath(QStringLiteral("host"));
        m_host = std::make_unique<host::EndpointHost>();
        const Status started = m_host->start(config);
        QVERIFY2(started.ok(), qPrintable(started.ok() ? QString() : started.error().toString()));

        // Like the real refused files: 80×80, 9 frames, a disc moving over transparency.
        QList<QImage> sticker;
        for (int i = 0; i < 9; ++i) {
            QImage f(80, 80, QImage::Format_RGBA8888);
            f.fill(Qt::transparent);
            QPainter p(&f);
            p.setRenderHint(QPainter::Antialiasing);
            p.setPen(Qt::NoPen);
            p.setBrush(QColor::fromHsv(i * 40, 220, 240));
            p.drawEllipse(QPoint(40 + int(18 * std::sin(i * 0.7)), 40 + int(14 * std::cos(i * 0.7))), 16, 16);
            p.end();
            sticker << f;
        }
        m_cases[QStringLiteral("sticker 80x80, 9 frames (WebPAnimEncoder)")] = {animEncoderAnimation(sticker), {80, 80}};

        m_cases[QStringLiteral("offsets, blend, dispose to background")] = {
            muxAnimation({120, 90},
                         {{webpStill(drawFrame({50, 40}, 1, false), false), {20, 10}, true, true},
                          {webpStill(drawFrame({30, 30}, 2, false), false), {60, 40}, false, false},
                          {webpStill(drawFrame({120, 90}, 3, false), false), {0, 0}, true, false}}),
            {120, 90}};

        m_cases[QStringLiteral("alpha gradient, first frame flagged to blend")] = {
            muxAnimation({100, 100},
                         {{webpStill(drawFrame({60, 60}, 4, false, true), false), {10, 20}, true, false},
                          {webpStill(drawFrame({40, 40}, 5, false), false), {50, 50}, true, true}}),
            {100, 100}};

        m_cases[QStringLiteral("lossless alpha, no blend")] = {
            muxAnimation({100, 80},
                         {{webpStill(drawFrame({64, 48}, 6, false, true), true), {16, 8}, false, false},
                          {webpStill(drawFrame({20, 20}, 7, true), true), {0, 0}, true, false}}),
            {100, 80}};

        // An opaque magenta ANIM background: a hint that libvips (and WebPAnimDecoder)
        // ignore, so the uncovered canvas stays transparent.
        m_cases[QStringLiteral("opaque ANIM background colour")] = {
            muxAnimation({96, 64},
                         {{webpStill(drawFrame({40, 40}, 8, false), false), {28, 12}, true, false},
                          {webpStill(drawFrame({30, 20}, 9, false), false), {4, 4}, true, false}},
                         0xFF00FFFFu),
            {96, 64}};

        // Over 4000 px: the full-size canvas goes through the streaming resampler.
        m_cases[QStringLiteral("partial first frame, scaled to 4000")] = {
            muxAnimation({4400, 600},
                         {{webpStill(drawFrame({2400, 400}, 10, false), false), {1000, 100}, true, false},
                          {webpStill(drawFrame({200, 200}, 11, false), false), {0, 0}, true, false}}),
            {4400, 600}};

        // Every frame covers the canvas: decoded straight to 4000 px by libwebp's
        // scaler, as libvips' shrink-on-load does.
        m_cases[QStringLiteral("whole-canvas frames with alpha, scaled to 4000")] = {
            muxAnimation({4200, 300},
                         {{webpStill(drawFrame({4200, 300}, 12, false, true), false), {0, 0}, true, false},
                          {webpStill(drawFrame({4200, 300}, 13, false), false), {0, 0}, false, false}}),
            {4200, 300}, true, false};

        // The first frame covers the canvas, a later one does not: libvips keeps alpha
        // (all opaque here) and loads at full size.
        m_cases[QStringLiteral("whole first frame, partial later frame")] = {
            muxAnimation({72, 56},
                         {{webpStill(drawFrame({72, 56}, 16, false), false), {0, 0}, false, true},
                          {webpStill(drawFrame({24, 24}, 17, false), false), {30, 20}, true, false}}),
            {72, 56}, true, false};

        // Opaque frames covering the canvas: libvips drops the alpha band.
        m_cases[QStringLiteral("whole-canvas opaque frames")] = {
            muxAnimation({64, 48},
                         {{webpStill(drawFrame({64, 48}, 14, false), false), {0, 0}, true, false},
                          {webpStill(drawFrame({64, 48}, 15, false), false), {0, 0}, true, false}}),
            {64, 48}, false, false};

        for (auto it = m_cases.cbegin(); it != m_cases.cend(); ++it) {
            QVERIFY2(!it->file.isEmpty(), qPrintable(it.key()));
            const FirstFrame first = firstFrameOf(it->file);
            QVERIFY2(first.frames >= 2, qPrintable(it.key()));
            // The files really are the kind that used to be refused (or not, on purpose).
            QCOMPARE(first.rect != QRect(QPoint(0, 0), it->canvas), it->partialFirstFrame);
        }
    }

    void acceptedByHost_data() { addCaseRows(); }
    void acceptedByHost()
    {
        QFETCH(QString, name);
        const Case c = m_cases.value(name);
        const HttpReply r = upload(c.file);
        QVERIFY2(r.status == 200, qPrintable(QStringLiteral("%1: %2").arg(r.status).arg(QString::fromUtf8(r.body))));
        const QUrl url(QJsonDocument::fromJson(r.body).object().value(QStringLiteral("ImageURL")).toString());
        QVERIFY2(url.path().endsWith(QLatin1String(".webp")), r.body.constData());
        const HttpReply got = httpSend(m_nam, "GET", url);
        QCOMPARE(got.status, 200);
        QCOMPARE(got.header("Content-Type"), QByteArray("image/webp"));

        // A still WebP (no ANIM), at the node's size, with alpha exactly when libvips keeps it.
        const FirstFrame stored = firstFrameOf(got.body);
        QCOMPARE(stored.frames, 1);
        bool hasAlpha = false;
        const QImage image = decodeWebp(got.body, &hasAlpha);
        QVERIFY(!image.isNull());
        QCOMPARE(image.size(), ImagePipeline::targetSize(c.canvas));
        if (!c.alpha)
            QVERIFY(!hasAlpha);
        if (c.partialFirstFrame) {
            // Outside the first frame the canvas is transparent, whatever ANIM says.
            QVERIFY(hasAlpha);
            QCOMPARE(qAlpha(image.pixel(0, 0)), 0);
        }
        m_stored[name] = got.body;
    }

    // The composite itself, before any scaling or encoding, equals libvips' pixel for
    // pixel: same transparent canvas, first frame copied whatever its blend flag (even
    // under transparent pixels), same alpha decision.
    void fullSizeCompositeEqualsVipsCopy_data() { addCaseRows(); }
    void fullSizeCompositeEqualsVipsCopy()
    {
        if (vipsProgram().isEmpty())
            QSKIP("vips (Debian package libvips-tools) is not installed, so the comparison with libvips' own "
                  "composite is skipped; packaging/install-deps.sh installs it.");
        QFETCH(QString, name);
        const Case c = m_cases.value(name);
        const QString in = writeFile(QStringLiteral("copy-in.webp"), c.file), out = m_dir.filePath(QStringLiteral("copy-out.png"));
        QVERIFY(!in.isEmpty());
        QVERIFY(runVips({QStringLiteral("copy"), in, out}));
        const QImage vips(out);  // Qt reads vips' PNG back as ARGB32 (straight alpha) or RGB32
        QVERIFY(!vips.isNull());
        QCOMPARE(vips.hasAlphaChannel(), c.alpha);

        auto header = readHeader(c.file);
        QVERIFY(header.ok());
        auto ours = decodeToImage(c.file, *header, c.canvas);
        QVERIFY2(ours.ok(), qPrintable(ours.ok() ? QString() : ours.error().toString()));
        QCOMPARE(ours->hasAlphaChannel(), c.alpha);
        const QImage a = ours->convertToFormat(QImage::Format_RGBA8888);
        const QImage b = vips.convertToFormat(QImage::Format_RGBA8888);
        QCOMPARE(a.size(), b.size());
        int differing = 0;
        QString first;
        for (int y = 0; y < a.height(); ++y) {
            for (int x = 0; x < a.width(); ++x) {
                const uchar *pa = a.constScanLine(y) + x * 4, *pb = b.constScanLine(y) + x * 4;
                if (std::memcmp(pa, pb, 4) == 0)
                    continue;
                if (differing++ == 0)
                    first = QStringLiteral("first at (%1,%2): ours %3,%4,%5,%6, vips %7,%8,%9,%10")
                                .arg(x).arg(y).arg(pa[0]).arg(pa[1]).arg(pa[2]).arg(pa[3])
                                .arg(pb[0]).arg(pb[1]).arg(pb[2]).arg(pb[3]);
            }
        }
        QVERIFY2(differing == 0, qPrintable(QStringLiteral("%1 pixels differ from vips copy; %2").arg(differing).arg(first)));
    }

    // Against `vips thumbnail` of the same file at the same size: the pixels that go
    // into our WebP encoder match vips' (SSIM ≥ 0.99; 1.0 when nothing is scaled), and
    // the WebP the host stored is as close to them as the node's own WebP (vips at
    // quality 75) is: both lose the same to lossy coding.
    void matchesVipsThumbnail_data() { addCaseRows(); }
    void matchesVipsThumbnail()
    {
        if (vipsProgram().isEmpty())
            QSKIP("vips (Debian package libvips-tools) is not installed, so the comparison with `vips thumbnail` "
                  "is skipped; packaging/install-deps.sh installs it.");
        QFETCH(QString, name);
        const Case c = m_cases.value(name);
        QVERIFY2(m_stored.contains(name), "acceptedByHost did not store this case");
        const QSize size = ImagePipeline::targetSize(c.canvas);
        const QString in = writeFile(QStringLiteral("thumb-in.webp"), c.file);
        QVERIFY(!in.isEmpty());
        const QStringList sizeArgs = {QString::number(size.width()), QStringLiteral("--height"),
                                      QString::number(size.height()), QStringLiteral("--size"), QStringLiteral("force")};
        const QString png = m_dir.filePath(QStringLiteral("thumb-out.png"));
        QVERIFY(runVips(QStringList {QStringLiteral("thumbnail"), in, png} + sizeArgs));
        const QImage reference(png);
        QCOMPARE(reference.size(), size);
        const QString webp = m_dir.filePath(QStringLiteral("thumb-out.webp"));
        QVERIFY(runVips(QStringList {QStringLiteral("thumbnail"), in, webp + QStringLiteral("[Q=75,strip]")} + sizeArgs));
        const QImage nodeStored = decodeWebp(readFile(webp));
        QCOMPARE(nodeStored.size(), size);

        auto header = readHeader(c.file);
        QVERIFY(header.ok());
        auto composite = decodeToImage(c.file, *header, size);
        QVERIFY2(composite.ok(), qPrintable(composite.ok() ? QString() : composite.error().toString()));
        const double compositeSsim = ssim(*composite, reference);
        const double oursSsim = ssim(decodeWebp(m_stored.value(name)), reference);
        const double nodeSsim = ssim(nodeStored, reference);
        qInfo("%s (%dx%d): SSIM against vips thumbnail: our pixels before encoding %.4f; stored WebP %.4f, "
              "vips' own WebP at Q=75 %.4f (delta %+.4f)",
              qPrintable(name), size.width(), size.height(), compositeSsim, oursSsim, nodeSsim, oursSsim - nodeSsim);
        QVERIFY2(compositeSsim >= 0.99, qPrintable(QStringLiteral("SSIM %1").arg(compositeSsim, 0, 'f', 4)));
        QVERIFY2(oursSsim >= nodeSsim - 0.005,
                 qPrintable(QStringLiteral("stored %1 vs vips %2").arg(oursSsim, 0, 'f', 4).arg(nodeSsim, 0, 'f', 4)));
    }

    void previewIsTheFirstFrameOnItsCanvas()
    {
        const Case c = m_cases.value(QStringLiteral("sticker 80x80, 9 frames (WebPAnimEncoder)"));
        auto thumb = makeThumbnail(c.file, QSize(40, 40));
        QVERIFY2(thumb.ok(), qPrintable(thumb.ok() ? QString() : thumb.error().toString()));
        QCOMPARE(thumb->size(), QSize(40, 40));
        QCOMPARE(qAlpha(thumb->pixel(0, 0)), 0);
        QCOMPARE(qAlpha(thumb->pixel(20, 27)), 255);  // the disc's centre, (40 + 18 sin 0, 40 + 14 cos 0) / 2
    }

    // The client's "make it acceptable" shrinks an over-wide animation to the still the
    // node would store, and says so.
    void makeAcceptableKeepsTheFirstFrame()
    {
        const Case c = m_cases.value(QStringLiteral("partial first frame, scaled to 4000"));
        auto acceptable = makeAcceptable(c.file, QStringLiteral("banner.webp"));
        QVERIFY2(acceptable.ok(), qPrintable(acceptable.ok() ? QString() : acceptable.error().toString()));
        QCOMPARE(acceptable->size, QSize(4000, 545));
        QCOMPARE(acceptable->format, Format::Png);  // transparent around the first frame: lossless fits
        QVERIFY2(acceptable->description.contains(QLatin1String("first frame only")), qPrintable(acceptable->description));
        QImage still;
        QVERIFY(still.loadFromData(acceptable->bytes, "PNG"));
        QCOMPARE(qAlpha(still.pixel(10, 10)), 0);
        QCOMPARE(qAlpha(still.pixel(2000, 270)), 255);
    }

    // The largest canvas the guard lets in is never held whole: rows are built around
    // the decoded first frame (16383² RGBA would be 1,073 MB on its own).
    void largestCanvasIsBuiltRowByRow()
    {
        const QByteArray file = muxAnimation({16383, 16383},
                                             {{webpStill(drawFrame({512, 512}, 3, false), false), {8000, 8000}},
                                              {webpStill(drawFrame({64, 64}, 4, false), false), {0, 0}}});
        QVERIFY(!file.isEmpty());
        const HttpReply r = upload(file);
        QVERIFY2(r.status == 200, r.body.constData());
        const QUrl url(QJsonDocument::fromJson(r.body).object().value(QStringLiteral("ImageURL")).toString());
        const QImage stored = decodeWebp(httpSend(m_nam, "GET", url).body);
        QCOMPARE(stored.size(), QSize(4000, 4000));
        QCOMPARE(qAlpha(stored.pixel(0, 0)), 0);
        QCOMPARE(qAlpha(stored.pixel(8256 * 4000 / 16383, 8256 * 4000 / 16383)), 255);  // the frame's centre
        rusage usage {};
        QCOMPARE(getrusage(RUSAGE_SELF, &usage), 0);
        const long peakMb = usage.ru_maxrss / 1024;
        qInfo("peak RSS of this test process so far: %ld MB", peakMb);
        QVERIFY2(peakMb < 512, qPrintable(QStringLiteral("peak RSS %1 MB").arg(peakMb)));
    }

    // The pixel-flood guard reads the canvas from VP8X before anything is decoded.
    void canvasOverGuardRefused()
    {
        const QByteArray file = muxAnimation({20000, 64}, {{webpStill(drawFrame({16, 16}, 1, false), false), {0, 0}},
                                                             {webpStill(drawFrame({16, 16}, 2, false), false), {16, 16}}});
        QVERIFY(!file.isEmpty());
        QCOMPARE(firstFrameOf(file).frames, 2);
        const HttpReply r = upload(file);
        QCOMPARE(r.status, 400);
        QVERIFY2(errorOf(r).endsWith(QStringLiteral("The image is 20000×64 pixels; images wider or taller than 16383 "
                                                     "pixels are refused.")),
                 qPrintable(errorOf(r)));
    }

    // A frame libwebp needs more than the old 160 MB bound for (7000² lossless: 187 MB of
    // ARGB) is no longer refused for its size: the process-wide decode budget admits it.
    // This one carries no pixel data, so it is then refused for that.
    void hugeFirstFrameAdmittedUnderTheBudget()
    {
        const QByteArray file = muxAnimation({7000, 7000}, {{losslessHeaderOnly({7000, 7000}), {0, 0}},
                                                              {webpStill(drawFrame({16, 16}, 1, false), false), {0, 0}}});
        QVERIFY(!file.isEmpty());
        QCOMPARE(firstFrameOf(file).frames, 2);
        auto result = ImagePipeline::process(file);
        QVERIFY(!result.ok());
        QVERIFY2(result.error().code == QLatin1String("image.truncated") || result.error().code == QLatin1String("image.corrupt"),
                 qPrintable(result.error().toString()));
        const HttpReply r = upload(file);
        QCOMPARE(r.status, 400);
        QVERIFY2(errorOf(r).endsWith(result.error().message), qPrintable(errorOf(r)));
    }

    void truncatedAnimationRefused()
    {
        const QByteArray whole = m_cases.value(QStringLiteral("offsets, blend, dispose to background")).file;
        const HttpReply r = upload(whole.left(whole.size() * 2 / 3));
        QCOMPARE(r.status, 400);
        QVERIFY2(errorOf(r).endsWith(QStringLiteral("The image data ends early (the file is truncated or incomplete).")),
                 qPrintable(errorOf(r)));
    }

    // Damaged animations (bytes flipped in the ANMF headers and frame data, cut short,
    // garbage inserted) are each accepted or refused with a 400 image.* error.
    void damagedAnimationsNeverCrash()
    {
        int refused = 0, accepted = 0;
        quint32 seed = 7;
        auto next = [&seed] { return seed = seed * 1664525u + 1013904223u; };
        for (const QString &name : {QStringLiteral("sticker 80x80, 9 frames (WebPAnimEncoder)"),
                                    QStringLiteral("offsets, blend, dispose to background")}) {
            const QByteArray file = m_cases.value(name).file;
            for (int i = 0; i < 200; ++i) {
                QByteArray damaged = file;
                const int kind = i % 4;
                const qsizetype at = 12 + qsizetype(next() % quint32(file.size() - 12));
                if (kind == 0) {
                    damaged[at] = char(damaged[at] ^ char(1 << (next() % 8)));
                } else if (kind == 1) {
                    damaged[at] = char(next() >> 24);
                    damaged[(at + 1) % damaged.size()] = char(next() >> 24);
                } else if (kind == 2) {
                    damaged.truncate(at);
                } else {
                    damaged.insert(at, QByteArray(int(next() % 16) + 1, char(next() >> 24)));
                }
                PipelineOptions options;
                options.multiThreaded = false;
                const auto result = ImagePipeline::process(damaged, {}, options);
                if (result.ok()) {
                    ++accepted;
                    continue;
                }
                ++refused;
                QVERIFY2(result.error().httpStatus == 400 && result.error().code.startsWith(QLatin1String("image.")),
                         qPrintable(result.error().toString()));
                QVERIFY(!result.error().message.isEmpty());
            }
        }
        qInfo("400 damaged animations: %d accepted, %d refused with a 400", accepted, refused);
        QVERIFY(refused > 0 && accepted > 0);
    }

    void cleanupTestCase()
    {
        if (m_host)
            m_host->stop();
    }
};

QTEST_MAIN(TestAnimatedWebp)
#include "tst_animated_webp.moc"
