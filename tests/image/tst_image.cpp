// core/image end to end: real files in every format go through the real pipeline and
// the outputs are decoded back by an independent decoder (Qt's image plugins), hashed
// by an independent tool (coreutils sha256sum) and inspected chunk by chunk.
#include "image/acceptablefile.h"
#include "image/exiforientation.h"
#include "image/imageformat.h"
#include "image/decodememorybudget.h"
#include "image/imagepipeline.h"
#include "image/thumbnailer.h"
#include "imagetestfiles.h"

#include <QBuffer>
#include <QColorSpace>
#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QImageReader>
#include <QImageWriter>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtEndian>
#include <QtConcurrent/QtConcurrentRun>
#include <QtTest>

using namespace deso;
using namespace deso::image;
using namespace imagetest;

namespace {

// Deterministic "photo": gradients plus noise (an LCG, so every run is identical).
// noise = 0 gives smooth gradients, which every codec handles much faster.
QImage photo(int w, int h, quint32 seed = 1, bool alpha = false, int noise = 32)
{
    QImage img(w, h, alpha ? QImage::Format_RGBA8888 : QImage::Format_RGB888);
    quint32 s = seed;
    const int c = alpha ? 4 : 3;
    for (int y = 0; y < h; ++y) {
        uchar *p = img.scanLine(y);
        for (int x = 0; x < w; ++x) {
            s = s * 1664525u + 1013904223u;
            const int n = noise ? int((s >> 24) % quint32(noise)) - noise / 2 : 0;
            p[x * c + 0] = uchar(std::clamp(x * 255 / std::max(1, w - 1) + n, 0, 255));
            p[x * c + 1] = uchar(std::clamp(y * 255 / std::max(1, h - 1) + n, 0, 255));
            p[x * c + 2] = uchar(std::clamp(128 + n * 2, 0, 255));
            if (alpha)
                p[x * c + 3] = uchar(x < w / 2 ? 255 : 60);
        }
    }
    return img;
}

QImage quadrants(int w, int h)
{
    QImage img(w, h, QImage::Format_RGB888);
    const QColor colors[4] = {Qt::red, Qt::green, Qt::blue, Qt::white};  // TL TR BL BR
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            img.setPixelColor(x, y, colors[(y >= h / 2 ? 2 : 0) + (x >= w / 2 ? 1 : 0)]);
    return img;
}

QImage decode(const QByteArray &bytes)
{
    QImage img;
    img.loadFromData(bytes);
    return img;
}

QByteArray le32(quint32 v)
{
    QByteArray b(4, 0);
    qToLittleEndian(v, b.data());
    return b;
}

// A PNG whose IHDR claims w×h over a tiny IDAT: the classic decompression bomb shape.
QByteArray pngWithHeader(quint32 w, quint32 h, int interlace)
{
    QByteArray ihdr = be32(w) + be32(h);
    ihdr += char(8);  // depth
    ihdr += char(2);  // RGB
    ihdr += char(0);
    ihdr += char(0);
    ihdr += char(interlace);
    const QByteArray zlib = qCompress(QByteArray(4096, '\0')).mid(4);  // strip Qt's length prefix
    return QByteArray("\x89PNG\r\n\x1a\n", 8) + pngChunk("IHDR", ihdr) + pngChunk("IDAT", zlib)
        + pngChunk("IEND", {});
}

struct RiffChunk {
    QByteArray fourcc;
    QByteArray data;
};

QList<RiffChunk> riffChunks(const QByteArray &webp)
{
    QList<RiffChunk> chunks;
    qsizetype i = 12;
    while (i + 8 <= webp.size()) {
        const quint32 len = qFromLittleEndian<quint32>(webp.constData() + i + 4);
        chunks.append({webp.mid(i, 4), webp.mid(i + 8, len)});
        i += 8 + len + (len & 1);
    }
    return chunks;
}

// Wraps a simple WebP ("VP8 " or "VP8L" only) into the extended format with an EXIF chunk.
QByteArray webpWithExif(const QByteArray &simple, QSize size, const QByteArray &tiff)
{
    QByteArray vp8x(10, '\0');
    vp8x[0] = char(0x08);  // EXIF present
    const quint32 w1 = quint32(size.width() - 1), h1 = quint32(size.height() - 1);
    vp8x[4] = char(w1 & 0xff); vp8x[5] = char((w1 >> 8) & 0xff); vp8x[6] = char((w1 >> 16) & 0xff);
    vp8x[7] = char(h1 & 0xff); vp8x[8] = char((h1 >> 8) & 0xff); vp8x[9] = char((h1 >> 16) & 0xff);
    QByteArray body = "WEBP" + QByteArray("VP8X") + le32(10) + vp8x + simple.mid(12);
    QByteArray exif = tiff;
    body += "EXIF" + le32(quint32(exif.size())) + exif;
    if (exif.size() & 1)
        body += char(0);
    return "RIFF" + le32(quint32(body.size())) + body;
}

QString sha256sum(const QByteArray &data)
{
    QProcess p;
    p.start(QStringLiteral("sha256sum"), {});
    p.waitForStarted();
    p.write(data);
    p.closeWriteChannel();
    p.waitForFinished();
    return QString::fromLatin1(p.readAllStandardOutput()).section(QLatin1Char(' '), 0, 0);
}

bool near(QColor a, QColor b, int tol = 48)
{
    return std::abs(a.red() - b.red()) <= tol && std::abs(a.green() - b.green()) <= tol
        && std::abs(a.blue() - b.blue()) <= tol;
}

} // namespace

class TestImage : public QObject {
    Q_OBJECT

    QByteArray m_bigJpeg;  // 6000×4000, q92 photo
    QTemporaryDir m_dir;

    QString writeTemp(const QString &name, const QByteArray &bytes)
    {
        const QString path = m_dir.filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
            qFatal("cannot write %s", qPrintable(path));
        return path;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY(QImageWriter::supportedImageFormats().contains("webp"));
        m_bigJpeg = encode(photo(6000, 4000, 7), "jpeg", 92);
    }

    // ---------------------------------------------------------------- formats
    void sniffAndHeader_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("format");
        QTest::addColumn<QSize>("size");
        const QImage img = photo(123, 45);
        QTest::newRow("jpeg") << encode(img, "jpeg", 90) << int(Format::Jpeg) << QSize(123, 45);
        QTest::newRow("jpeg-progressive") << encode(img, "jpeg", 90, true) << int(Format::Jpeg) << QSize(123, 45);
        QTest::newRow("png") << encode(img, "png") << int(Format::Png) << QSize(123, 45);
        QTest::newRow("webp-lossy") << encode(img, "webp", 80) << int(Format::Webp) << QSize(123, 45);
        QTest::newRow("webp-lossless") << encode(img, "webp", 100) << int(Format::Webp) << QSize(123, 45);
        QTest::newRow("webp-extended") << webpWithExif(encode(img, "webp", 80), img.size(), tiffOrientation(1))
                                       << int(Format::Webp) << QSize(123, 45);
        QFile gif(QStringLiteral(DESO_TEST_DATA_DIR "/animated.gif"));
        QVERIFY(gif.open(QIODevice::ReadOnly));
        QTest::newRow("gif") << gif.readAll() << int(Format::Gif) << QSize(32, 24);
    }

    void sniffAndHeader()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, format);
        QFETCH(QSize, size);
        const auto sniffed = sniffFormat(bytes.left(12));
        QVERIFY(sniffed.has_value());
        QCOMPARE(int(*sniffed), format);
        QCOMPARE(formatFromMimeType(mimeType(Format(format))), std::optional<Format>(Format(format)));
        auto h = readHeader(bytes);
        QVERIFY2(h.ok(), qPrintable(h.ok() ? QString() : h.error().toString()));
        QCOMPARE(h->size, size);
        QBuffer buf(&bytes);
        buf.open(QIODevice::ReadOnly);
        auto h2 = readHeader(&buf);
        QVERIFY(h2.ok());
        QCOMPARE(h2->size, size);
        QCOMPARE(int(h2->format), format);
    }

    void headerSkipsLargeSegmentsWithoutDecoding()
    {
        // 60 KB of APP2 before the frame header, read from a real file by seeking.
        const QByteArray jpeg = jpegWithSegments(encode(photo(77, 66), "jpeg", 90),
                                                 jpegSegment(0xE2, QByteArray(60000, 'x')));
        const QString path = writeTemp(QStringLiteral("segments.jpg"), jpeg);
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        auto h = readHeader(&f);
        QVERIFY(h.ok());
        QCOMPARE(h->size, QSize(77, 66));
        QVERIFY(f.pos() < jpeg.indexOf("\xFF\xDA"));  // stopped at SOF, before the scan
    }

    void mimeTypes()
    {
        QCOMPARE(mimeType(Format::Jpeg), QStringLiteral("image/jpeg"));
        QCOMPARE(mimeType(Format::Webp), QStringLiteral("image/webp"));
        QVERIFY(formatFromMimeType(QStringLiteral("IMAGE/PNG; charset=binary")) == Format::Png);
        QVERIFY(!formatFromMimeType(QStringLiteral("image/jpg")));  // the node rejects it too
        QVERIFY(!formatFromMimeType(QStringLiteral("text/plain")));
    }

    // ---------------------------------------------------------------- scaling rule
    void scalingRule_data()
    {
        QTest::addColumn<QSize>("source");
        QTest::addColumn<QString>("format");
        QTest::addColumn<QSize>("expected");
        // Expected sizes computed by hand: other side = floor(other × 4000 / longer).
        QTest::newRow("landscape-3999") << QSize(3999, 1234) << "jpeg" << QSize(3999, 1234);
        QTest::newRow("landscape-4000") << QSize(4000, 1234) << "jpeg" << QSize(4000, 1234);
        QTest::newRow("landscape-4001") << QSize(4001, 1234) << "jpeg" << QSize(4000, 1233);
        QTest::newRow("landscape-6000") << QSize(6000, 1234) << "jpeg" << QSize(4000, 822);
        QTest::newRow("portrait-3999") << QSize(1234, 3999) << "png" << QSize(1234, 3999);
        QTest::newRow("portrait-4000") << QSize(1234, 4000) << "png" << QSize(1234, 4000);
        QTest::newRow("portrait-4001") << QSize(1234, 4001) << "png" << QSize(1233, 4000);
        QTest::newRow("portrait-6000") << QSize(1234, 6000) << "png" << QSize(822, 4000);
        QTest::newRow("square-3999") << QSize(3999, 3999) << "jpeg" << QSize(3999, 3999);
        QTest::newRow("square-4000") << QSize(4000, 4000) << "jpeg" << QSize(4000, 4000);
        QTest::newRow("square-4001") << QSize(4001, 4001) << "png" << QSize(4000, 4000);
        QTest::newRow("square-6000") << QSize(6000, 6000) << "jpeg" << QSize(4000, 4000);
        QTest::newRow("landscape-12000-box") << QSize(12000, 600) << "png" << QSize(4000, 200);
        QTest::newRow("guard-16383-accepted") << QSize(16383, 5) << "png" << QSize(4000, 1);
        QTest::newRow("sliver-16000x3") << QSize(16000, 3) << "png" << QSize(4000, 1);
        QTest::newRow("portrait-9000-webp") << QSize(600, 9000) << "webp" << QSize(266, 4000);
        // floor() would give 0 (a 500 "invalid decode size" before; found by fuzz_image_pipeline).
        QTest::newRow("strip-1x8000") << QSize(1, 8000) << "png" << QSize(1, 4000);
        QTest::newRow("strip-9000x2") << QSize(9000, 2) << "jpeg" << QSize(4000, 1);
    }

    void scalingRule()
    {
        QFETCH(QSize, source);
        QFETCH(QString, format);
        QFETCH(QSize, expected);
        QCOMPARE(ImagePipeline::targetSize(source), expected);
        const QByteArray file = encode(photo(source.width(), source.height(), 3, false, 0), qPrintable(format), 90);
        // Method 0 / quality 50: sizes do not depend on them, and the test stays quick.
        auto r = ImagePipeline::process(file, QStringLiteral("image/") + format,
                                        PipelineOptions {.webpQuality = 50, .webpMethod = 0, .maxFileBytes = 0});
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
        QCOMPARE(r->outputSize, expected);
        QCOMPARE(r->sourceSize, source);
        QCOMPARE(r->mimeType, QStringLiteral("image/webp"));
        const QImage back = decode(r->bytes);
        QCOMPARE(back.size(), expected);
    }

    void scaledPixelsMatchAReference()
    {
        // The resampled picture must be the picture: compare with Qt's own smooth
        // scaling of the same source (different filter, so a small tolerance).
        const QImage src = photo(6000, 600, 9, false, 8);
        auto r = ImagePipeline::process(encode(src, "png", 100), {}, PipelineOptions {.webpQuality = 100, .maxFileBytes = 0});
        QVERIFY(r.ok());
        const QImage ref = src.scaled(4000, 400, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
        const double diff = meanAbsDiff(decode(r->bytes), ref);
        QVERIFY2(diff < 6.0, qPrintable(QString::number(diff)));
        // And a flat colour stays exactly that colour through box + kernel + encode.
        QImage flat(12000, 300, QImage::Format_RGB888);
        flat.fill(QColor(200, 100, 50));
        auto f = ImagePipeline::process(encode(flat, "png", 100), {}, PipelineOptions {.webpQuality = 100, .maxFileBytes = 0});
        QVERIFY(f.ok());
        QCOMPARE(f->outputSize, QSize(4000, 100));
        QVERIFY(near(decode(f->bytes).pixelColor(1234, 50), QColor(200, 100, 50), 3));
    }

    // ---------------------------------------------------------------- orientation
    void exifOrientation_data()
    {
        QTest::addColumn<int>("orientation");
        // Displayed corners, as stored quadrant indexes (0 TL, 1 TR, 2 BL, 3 BR), derived
        // by hand from the EXIF definitions.
        QTest::addColumn<QList<int>>("corners");
        QTest::newRow("1") << 1 << QList<int> {0, 1, 2, 3};
        QTest::newRow("2 mirror") << 2 << QList<int> {1, 0, 3, 2};
        QTest::newRow("3 rotate 180") << 3 << QList<int> {3, 2, 1, 0};
        QTest::newRow("4 flip") << 4 << QList<int> {2, 3, 0, 1};
        QTest::newRow("5 transpose") << 5 << QList<int> {0, 2, 1, 3};
        QTest::newRow("6 rotate 90 cw") << 6 << QList<int> {2, 0, 3, 1};
        QTest::newRow("7 transverse") << 7 << QList<int> {3, 1, 2, 0};
        QTest::newRow("8 rotate 270 cw") << 8 << QList<int> {1, 3, 0, 2};
    }

    void exifOrientation()
    {
        QFETCH(int, orientation);
        QFETCH(QList<int>, corners);
        const QColor colors[4] = {Qt::red, Qt::green, Qt::blue, Qt::white};
        const QByteArray jpeg = jpegWithExif(encode(quadrants(64, 32), "jpeg", 95), orientation);
        QCOMPARE(deso::image::exifOrientation(jpeg, Format::Jpeg), orientation);
        auto r = ImagePipeline::process(jpeg, QStringLiteral("image/jpeg"));
        QVERIFY(r.ok());
        QCOMPARE(r->exifOrientation, orientation);
        const QImage out = decode(r->bytes);
        const QSize expected = orientation >= 5 ? QSize(32, 64) : QSize(64, 32);
        QCOMPARE(out.size(), expected);
        const int w = out.width(), h = out.height();
        const QPoint probes[4] = {{w / 4, h / 4}, {3 * w / 4, h / 4}, {w / 4, 3 * h / 4}, {3 * w / 4, 3 * h / 4}};
        for (int i = 0; i < 4; ++i)
            QVERIFY2(near(out.pixelColor(probes[i]), colors[corners[i]]),
                     qPrintable(QStringLiteral("corner %1 is %2").arg(i).arg(out.pixelColor(probes[i]).name())));
        // Qt's reader (an independent implementation) agrees.
        QBuffer b(const_cast<QByteArray *>(&jpeg));
        QImageReader reader(&b, "jpeg");
        reader.setAutoTransform(true);
        const QImage ref = reader.read();
        QCOMPARE(ref.size(), expected);
        QVERIFY(meanAbsDiff(ref, out) < 12);
        // The thumbnailer applies it too.
        auto t = makeThumbnail(jpeg, QSize(16, 16));
        QVERIFY(t.ok());
        QCOMPARE(t->size(), orientation >= 5 ? QSize(8, 16) : QSize(16, 8));
    }

    void exifOrientationInPngAndWebp()
    {
        const QColor colors[4] = {Qt::red, Qt::green, Qt::blue, Qt::white};
        const QImage q = quadrants(64, 32);
        // PNG eXIf, orientation 6 (rotate 90 cw): top-left shows stored bottom-left.
        const QByteArray png = pngWithChunkAfterIhdr(encode(q, "png"), pngChunk("eXIf", tiffOrientation(6)));
        QCOMPARE(deso::image::exifOrientation(png, Format::Png), 6);
        auto r = ImagePipeline::process(png, QStringLiteral("image/png"));
        QVERIFY(r.ok());
        QImage out = decode(r->bytes);
        QCOMPARE(out.size(), QSize(32, 64));
        QVERIFY(near(out.pixelColor(8, 16), colors[2]));
        QVERIFY(near(out.pixelColor(24, 48), colors[1]));
        // WebP EXIF chunk, orientation 8 (rotate 270 cw): top-left shows stored top-right.
        const QByteArray webp = webpWithExif(encode(q, "webp", 100), q.size(), tiffOrientation(8));
        QCOMPARE(deso::image::exifOrientation(webp, Format::Webp), 8);
        r = ImagePipeline::process(webp, QStringLiteral("image/webp"));
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
        out = decode(r->bytes);
        QCOMPARE(out.size(), QSize(32, 64));
        QVERIFY(near(out.pixelColor(8, 16), colors[1]));
        QVERIFY(near(out.pixelColor(24, 48), colors[2]));
    }

    // ---------------------------------------------------------------- metadata
    void metadataIsStripped()
    {
        QImage img = photo(300, 200);
        img.setColorSpace(QColorSpace::SRgb);  // Qt then embeds an ICC profile
        QByteArray jpeg = encode(img, "jpeg", 90);
        const QByteArray xmp = QByteArray("http://ns.adobe.com/xap/1.0/\0", 29)
            + "<x:xmpmeta xmlns:x='adobe:ns:meta/'>secret-location</x:xmpmeta>";
        jpeg = jpegWithSegments(jpeg, jpegSegment(0xE1, QByteArray("Exif\0\0", 6) + tiffOrientation(1))
                                          + jpegSegment(0xE1, xmp));
        QVERIFY(jpeg.contains("ICC_PROFILE"));
        QVERIFY(jpeg.contains("secret-location"));
        auto r = ImagePipeline::process(jpeg, QStringLiteral("image/jpeg"));
        QVERIFY(r.ok());
        const auto chunks = riffChunks(r->bytes);
        QVERIFY(!chunks.isEmpty());
        for (const auto &c : chunks)
            QVERIFY2(c.fourcc == "VP8 " || c.fourcc == "VP8L" || c.fourcc == "VP8X" || c.fourcc == "ALPH",
                     c.fourcc.constData());
        for (const auto &c : chunks) {
            if (c.fourcc == "VP8X")
                QCOMPARE(int(uchar(c.data[0])) & (0x20 | 0x08 | 0x04), 0);  // no ICC, EXIF, XMP flags
        }
        QVERIFY(!r->bytes.contains("Exif"));
        QVERIFY(!r->bytes.contains("secret-location"));
        QVERIFY(!r->bytes.contains("ICCP"));

        // PNG with alpha, text and ICC chunks: alpha kept (ALPH), the rest gone.
        QImage rgba = photo(300, 200, 2, true);
        rgba.setColorSpace(QColorSpace::SRgb);
        rgba.setText(QStringLiteral("Comment"), QStringLiteral("secret-comment"));
        const QByteArray png = encode(rgba, "png");
        QVERIFY(png.contains("iCCP") && png.contains("secret-comment"));
        r = ImagePipeline::process(png, QStringLiteral("image/png"));
        QVERIFY(r.ok());
        QStringList fourccs;
        for (const auto &c : riffChunks(r->bytes))
            fourccs << QString::fromLatin1(c.fourcc);
        QCOMPARE(fourccs, QStringList({"VP8X", "ALPH", "VP8 "}));
        QVERIFY(!r->bytes.contains("secret-comment"));
        const QImage back = decode(r->bytes);
        QVERIFY(back.hasAlphaChannel());
        QVERIFY(std::abs(back.pixelColor(250, 100).alpha() - 60) <= 3);
        QCOMPARE(back.pixelColor(50, 100).alpha(), 255);
    }

    // ---------------------------------------------------------------- other formats
    void sourceVariants_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QSize>("size");
        const QImage img = photo(200, 150, 5);
        QTest::newRow("grayscale jpeg") << encode(img.convertToFormat(QImage::Format_Grayscale8), "jpeg", 90) << QSize(200, 150);
        QTest::newRow("progressive jpeg") << encode(img, "jpeg", 90, true) << QSize(200, 150);
        // No dithering: dither noise is exactly what lossy WebP removes, which would
        // hide real errors behind a large difference.
        QTest::newRow("palette png") << encode(quadrants(200, 150).convertToFormat(QImage::Format_Indexed8, Qt::AvoidDither), "png")
                                     << QSize(200, 150);
        QTest::newRow("16-bit png") << encode(img.convertToFormat(QImage::Format_RGBA64), "png") << QSize(200, 150);
        QTest::newRow("grayscale png") << encode(img.convertToFormat(QImage::Format_Grayscale8), "png") << QSize(200, 150);
        QTest::newRow("lossless webp") << encode(img, "webp", 100) << QSize(200, 150);
        QTest::newRow("alpha webp") << encode(photo(200, 150, 5, true), "webp", 80) << QSize(200, 150);
    }

    void sourceVariants()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QSize, size);
        auto r = ImagePipeline::process(bytes);
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
        QCOMPARE(r->outputSize, size);
        const QImage back = decode(r->bytes);
        QCOMPARE(back.size(), size);
        // Content survives: compare with Qt's decode of the source.
        const double diff = meanAbsDiff(back, decode(bytes));
        QVERIFY2(diff < 8, qPrintable(QString::number(diff)));
    }

    // ---------------------------------------------------------------- GIF and names
    void gifPassesThroughByteForByte()
    {
        QFile f(QStringLiteral(DESO_TEST_DATA_DIR "/animated.gif"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray gif = f.readAll();
        auto r = ImagePipeline::process(gif, QStringLiteral("image/gif"));
        QVERIFY(r.ok());
        QVERIFY(r->passedThrough);
        QCOMPARE(r->bytes, gif);
        QCOMPARE(r->mimeType, QStringLiteral("image/gif"));
        QCOMPARE(r->outputSize, QSize(32, 24));
        // Precomputed with: base64 -w0 animated.gif | sha256sum
        QCOMPARE(r->name, QStringLiteral("697e7f8217f1329827d40a257363cf188f813895cbab1bfec6edc1b414b966a2.gif"));
        QCOMPARE(r->name, sha256sum(gif.toBase64()) + QStringLiteral(".gif"));
        // Animation kept: three frames still there.
        QBuffer b(const_cast<QByteArray *>(&r->bytes));
        QImageReader reader(&b, "gif");
        QCOMPARE(reader.imageCount(), 3);
    }

    void webpNameIsSha256OfTheBytes()
    {
        auto r = ImagePipeline::process(encode(photo(320, 240), "jpeg", 90), QStringLiteral("image/jpeg"));
        QVERIFY(r.ok());
        QCOMPARE(r->name, sha256sum(r->bytes) + QStringLiteral(".webp"));
        QCOMPARE(ImagePipeline::contentName(r->bytes, Format::Webp), r->name);
        // Deterministic: the same upload twice gives the same name.
        auto again = ImagePipeline::process(encode(photo(320, 240), "jpeg", 90), QStringLiteral("image/jpeg"));
        QVERIFY(again.ok());
        QCOMPARE(again->name, r->name);
        // Known vector (sha256 of "abc").
        QCOMPARE(ImagePipeline::webpContentName("abc"),
                 QStringLiteral("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.webp"));
    }

    // ---------------------------------------------------------------- bad files
    void badFiles_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("declared");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("mentions");
        const QByteArray jpeg = encode(photo(400, 300), "jpeg", 90);
        const QByteArray png = encode(photo(400, 300), "png");
        const QByteArray webp = encode(photo(400, 300), "webp", 80);
        QFile f(QStringLiteral(DESO_TEST_DATA_DIR "/animated.gif"));
        f.open(QIODevice::ReadOnly);
        const QByteArray gif = f.readAll();

        QTest::newRow("zero bytes") << QByteArray() << "image/jpeg" << "image.empty" << "empty";
        QTest::newRow("text renamed .jpg") << QByteArray("Dear diary, today I renamed a text file to photo.jpg.\n")
                                          << "image/jpeg" << "image.bad_magic" << "not a JPEG";
        QTest::newRow("three bytes") << QByteArray("abc") << "" << "image.bad_magic" << "not a JPEG";
        QTest::newRow("jpeg cut in half") << jpeg.left(jpeg.size() / 2) << "image/jpeg" << "image.truncated" << "ends early";
        QTest::newRow("jpeg header only") << jpeg.left(180) << "image/jpeg" << "image.truncated" << "";
        QTest::newRow("jpeg soi only") << jpeg.left(4) << "image/jpeg" << "image.truncated" << "";
        QTest::newRow("png cut in half") << png.left(png.size() / 2) << "image/png" << "image.truncated" << "ends early";
        QTest::newRow("webp cut in half") << webp.left(webp.size() / 2) << "image/webp" << "image.truncated" << "";
        QTest::newRow("gif cut in half") << gif.left(gif.size() / 2) << "image/gif" << "image.truncated" << "";
        QTest::newRow("png bomb 20000x20000") << pngWithHeader(20000, 20000, 0) << "image/png"
                                             << "image.too_large_dimensions" << "20000×20000";
        QTest::newRow("png 16384 wide") << pngWithHeader(16384, 10, 0) << "image/png"
                                       << "image.too_large_dimensions" << "16383";
        QByteArray bigJpeg = jpeg;  // patch SOF0 to claim 30000 px wide
        const qsizetype sof = bigJpeg.indexOf("\xFF\xC0");
        bigJpeg[sof + 7] = char(30000 >> 8);
        bigJpeg[sof + 8] = char(30000 & 0xff);
        QTest::newRow("jpeg claiming 30000 wide") << bigJpeg << "image/jpeg" << "image.too_large_dimensions" << "30000×300";
        // An interlaced PNG of any accepted size is decoded now (its passes paged to a
        // scratch file); this one claims 12000² but carries 4 KB of pixels.
        QTest::newRow("interlaced png 12000x12000, data cut") << pngWithHeader(12000, 12000, 1) << "image/png"
                                                             << "image.corrupt" << "PNG";
        QTest::newRow("png data that does not inflate") << pngWithHeader(300, 200, 0) << "image/png" << "image.corrupt" << "";
        QByteArray badCrc = png;
        badCrc[png.indexOf("IDAT") + 20] = char(badCrc[png.indexOf("IDAT") + 20] ^ 0x55);
        QTest::newRow("png with a damaged IDAT") << badCrc << "image/png" << "image.corrupt" << "";
        QByteArray riffJunk = QByteArray("RIFF") + le32(100) + "WEBPVP8 " + le32(80) + QByteArray(80, '\x42');
        QTest::newRow("webp junk") << riffJunk << "image/webp" << "image.bad_header" << "";
        QTest::newRow("gif with junk blocks") << gif.left(800) + QByteArray(200, '\x99') << "image/gif" << "image.corrupt" << "";
        QTest::newRow("jpeg sent as png") << jpeg << "image/png" << "image.type_mismatch" << "image/png";
        QTest::newRow("png sent as gif") << png << "image/gif" << "image.type_mismatch" << "PNG";
        QTest::newRow("unsupported content type") << jpeg << "text/plain" << "image.unsupported_type" << "text/plain";
    }

    void badFiles()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, declared);
        QFETCH(QString, code);
        QFETCH(QString, mentions);
        auto r = ImagePipeline::process(bytes, declared);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, code);
        QCOMPARE(r.error().httpStatus, 400);
        QVERIFY(r.error().message.endsWith(QLatin1Char('.')));
        QVERIFY2(r.error().message.contains(mentions), qPrintable(r.error().message));
        // The preview path refuses the same files without crashing.
        if (code != QLatin1String("image.type_mismatch") && code != QLatin1String("image.unsupported_type")) {
            auto t = makeThumbnail(bytes, QSize(64, 64));
            QVERIFY(!t.ok());
            QVERIFY(!t.error().message.isEmpty());
        }
    }

    void mutatedFilesNeverCrash()
    {
        // Deterministic mutations (fixed seed) of a valid file in every format: flipped
        // bytes, truncation, inserted junk. Each result is a WebP/GIF or a 400 error.
        QFile f(QStringLiteral(DESO_TEST_DATA_DIR "/animated.gif"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QImage img = photo(120, 90, 4);
        const QList<QByteArray> seeds = {
            jpegWithExif(encode(img, "jpeg", 85), 6), encode(img, "jpeg", 85, true),
            pngWithChunkAfterIhdr(encode(img, "png"), pngChunk("eXIf", tiffOrientation(3))),
            encode(photo(120, 90, 4, true), "png"), encode(img, "webp", 80), encode(img, "webp", 100),
            f.readAll()};
        QRandomGenerator rng(20261127);
        int accepted = 0, refused = 0;
        for (const QByteArray &seed : seeds) {
            for (int i = 0; i < 150; ++i) {
                QByteArray m = seed;
                switch (i % 3) {
                case 0:
                    for (int k = 0, n = 1 + int(rng.bounded(8)); k < n; ++k)
                        m[int(rng.bounded(int(m.size())))] = char(rng.bounded(256));
                    break;
                case 1:
                    m.truncate(int(rng.bounded(int(m.size()))));
                    break;
                default:
                    m.insert(int(rng.bounded(int(m.size()))), QByteArray(1 + int(rng.bounded(64)), char(rng.bounded(256))));
                    break;
                }
                const auto r = ImagePipeline::process(m);
                if (r.ok()) {
                    ++accepted;
                    QVERIFY(!decode(r->bytes).isNull());
                } else {
                    ++refused;
                    QVERIFY2(r.error().httpStatus == 400, qPrintable(r.error().toString()));
                    QVERIFY(!r.error().message.isEmpty());
                }
                (void)makeThumbnail(m, QSize(32, 32));
            }
        }
        QVERIFY(accepted > 0 && refused > 0);
    }

    void fileSizeLimit()
    {
        QByteArray big = m_bigJpeg;
        big.append(QByteArray(kMaxUploadBytes + 1 - big.size(), '\0'));  // padding after EOI
        QCOMPARE(big.size(), kMaxUploadBytes + 1);
        auto r = ImagePipeline::process(big, QStringLiteral("image/jpeg"));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, QStringLiteral("image.file_too_large"));
        QVERIFY(r.error().message.contains(QStringLiteral("10,000,000")));
        big.chop(1);  // exactly the limit is fine
        r = ImagePipeline::process(big, QStringLiteral("image/jpeg"));
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
        QCOMPARE(r->outputSize, QSize(4000, 2666));
    }

    // Progressive JPEGs and interlaced PNGs, small (decoded in memory) and large (pages
    // in a scratch file), give the very bytes their baseline / non-interlaced twins give:
    // the same quantized coefficients, the same pixels.
    void progressiveAndInterlacedTwinsGiveTheSameBytes_data()
    {
        QTest::addColumn<QByteArray>("plain");
        QTest::addColumn<QByteArray>("variant");
        QTest::addColumn<QSize>("expected");
        const QImage small = photo(1000, 800, 3);
        QTest::newRow("progressive jpeg 1000x800 (in memory)")
            << encode(small, "jpeg", 90) << encode(small, "jpeg", 90, true) << QSize(1000, 800);
        QTest::newRow("progressive jpeg 6000x4000 (paged)")
            << m_bigJpeg << encode(photo(6000, 4000, 7), "jpeg", 92, true) << QSize(4000, 2666);
        for (const QSize size : {QSize(301, 199), QSize(3001, 2000), QSize(4500, 3001)}) {
            const QImage img = photo(size.width(), size.height(), 5).convertToFormat(QImage::Format_RGB888);
            const auto fill = [&img](int y, uchar *rgb) {
                std::memcpy(rgb, img.constScanLine(y), size_t(img.width()) * 3);
            };
            QByteArray files[2];
            for (int interlaced = 0; interlaced < 2; ++interlaced) {
                const QString path = m_dir.filePath(QStringLiteral("twin-%1.png").arg(interlaced));
                if (!writePngRows(path, img.width(), img.height(), interlaced, fill))
                    qFatal("cannot write %s", qPrintable(path));
                QFile f(path);
                f.open(QIODevice::ReadOnly);
                files[interlaced] = f.readAll();
            }
            QTest::addRow("interlaced png %dx%d (%s)", size.width(), size.height(),
                          size.width() * size.height() * 3 > 16 * 1024 * 1024 ? "paged" : "in memory")
                << files[0] << files[1] << ImagePipeline::targetSize(size);
        }
    }

    void progressiveAndInterlacedTwinsGiveTheSameBytes()
    {
        QFETCH(QByteArray, plain);
        QFETCH(QByteArray, variant);
        QFETCH(QSize, expected);
        auto header = readHeader(variant);
        QVERIFY(header.ok());
        QVERIFY(header->interlaced);
        PipelineOptions options;
        options.maxFileBytes = 0;
        const auto a = ImagePipeline::process(plain, {}, options);
        const auto b = ImagePipeline::process(variant, {}, options);
        QVERIFY2(a.ok(), qPrintable(a.ok() ? QString() : a.error().toString()));
        QVERIFY2(b.ok(), qPrintable(b.ok() ? QString() : b.error().toString()));
        QCOMPARE(b->outputSize, expected);
        QVERIFY(a->bytes == b->bytes);
    }

    // A progressive JPEG claiming 12000² with a few KB of scans (once refused for its
    // coefficient memory) is decoded as the node's libvips decodes it: the scans end at
    // the EOI marker, libjpeg warns and leaves the rest flat, and the image is accepted.
    void progressiveJpegWithFewScansIsDecoded()
    {
        QByteArray progressive = encode(photo(64, 48), "jpeg", 90, true);
        const qsizetype sof2 = progressive.indexOf("\xFF\xC2");
        QVERIFY(sof2 > 0);
        for (int k : {5, 7}) {
            progressive[sof2 + k] = char(12000 >> 8);
            progressive[sof2 + k + 1] = char(12000 & 0xff);
        }
        QElapsedTimer timer;
        timer.start();
        auto r = ImagePipeline::process(progressive, QStringLiteral("image/jpeg"));
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
        QCOMPARE(r->outputSize, QSize(4000, 4000));
        qInfo("12000×12000 progressive (%lld bytes): %lld ms", static_cast<long long>(progressive.size()),
              static_cast<long long>(timer.elapsed()));
    }

    // One process-wide budget for decodes that cannot stream: small ones pass at once,
    // large ones wait for room, ones larger than the whole budget are refused.
    void decodeMemoryBudgetWaitsAndRefuses()
    {
        DecodeMemoryBudget budget(300ll * 1024 * 1024);
        ImageHeader h;
        h.format = Format::Webp;
        h.size = QSize(9000, 9000);
        const qint64 mb = 1024 * 1024;
        auto small = budget.admit(h, QStringLiteral("decoding"), kDecodeMemoryBound);
        QVERIFY(small.ok());
        QCOMPARE(small->bytes(), qint64(0));
        auto first = budget.admit(h, QStringLiteral("decoding"), 200 * mb);
        QVERIFY(first.ok());
        QCOMPARE(budget.inUse(), 200 * mb);

        auto tooBig = budget.admit(h, QStringLiteral("decoding this lossless WebP"), 400 * mb);
        QVERIFY(!tooBig.ok());
        QCOMPARE(tooBig.error().code, QStringLiteral("image.memory_bound"));
        QCOMPARE(tooBig.error().httpStatus, 400);
        QVERIFY2(tooBig.error().message.contains(QLatin1String("400 MB")) && tooBig.error().message.contains(QLatin1String("300 MB")),
                 qPrintable(tooBig.error().message));

        QThreadPool pool;
        QFuture<qint64> second = QtConcurrent::run(&pool, [&budget, h, mb] {
            auto lease = budget.admit(h, QStringLiteral("decoding"), 200 * mb);
            return lease.ok() ? lease->bytes() : -1;
        });
        QTest::qWait(200);
        QVERIFY(!second.isFinished());  // 200 + 200 > 300: waits its turn
        first = DecodeMemoryBudget::Lease();  // the first decode ends
        QCOMPARE(second.result(), 200 * mb);
        QCOMPARE(budget.inUse(), qint64(0));
    }

    // ---------------------------------------------------------------- async
    void processAsyncRunsOffThread()
    {
        const QByteArray jpeg = encode(photo(800, 600), "jpeg", 90);
        QThreadPool pool;
        auto future = ImagePipeline::processAsync(jpeg, QStringLiteral("image/jpeg"), {}, &pool);
        future.waitForFinished();
        const auto r = future.result();
        QVERIFY(r.ok());
        auto sync = ImagePipeline::process(jpeg, QStringLiteral("image/jpeg"));
        QVERIFY(sync.ok());
        QCOMPARE(r->name, sync->name);
        auto bad = ImagePipeline::processAsync(QByteArray("nope"), {}, {}, &pool).result();
        QVERIFY(!bad.ok());
        QCOMPARE(bad.error().code, QStringLiteral("image.bad_magic"));
    }

    void concurrentRunsAgree()
    {
        // The host runs uploads side by side: each process() owns its decoder, resampler
        // thread and encoder, so concurrent runs give the same bytes as a lone one.
        QList<QByteArray> inputs;
        for (quint32 seed = 1; seed <= 4; ++seed)
            inputs << encode(photo(1500, 1000, seed), "jpeg", 90);
        QThreadPool pool;
        pool.setMaxThreadCount(4);
        QList<QFuture<Result<ProcessedImage>>> futures;
        for (const QByteArray &in : inputs)
            futures << ImagePipeline::processAsync(in, QStringLiteral("image/jpeg"), {}, &pool);
        for (int i = 0; i < inputs.size(); ++i) {
            const auto r = futures[i].result();
            QVERIFY(r.ok());
            const auto lone = ImagePipeline::process(inputs[i], QStringLiteral("image/jpeg"));
            QVERIFY(lone.ok());
            QCOMPARE(r->name, lone->name);
        }
    }

    // ---------------------------------------------------------------- thumbnails
    void thumbnails()
    {
        const QString jpegPath = writeTemp(QStringLiteral("big.jpg"), m_bigJpeg);
        auto t = makeThumbnailAsync(jpegPath, QSize(320, 320)).result();
        QVERIFY2(t.ok(), qPrintable(t.ok() ? QString() : t.error().toString()));
        QCOMPARE(t->size(), QSize(320, 213));
        // It is the picture: compare with a full decode scaled by Qt.
        QImageReader full(jpegPath);
        full.setAllocationLimit(0);
        const QImage ref = full.read().scaled(320, 213, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
        QVERIFY(meanAbsDiff(*t, ref) < 6);

        const QString pngPath = writeTemp(QStringLiteral("wide.png"), encode(photo(9000, 1000, 4, false, 0), "png", 100));
        t = makeThumbnail(pngPath, QSize(300, 300));
        QVERIFY(t.ok());
        QCOMPARE(t->size(), QSize(300, 33));

        t = makeThumbnail(QStringLiteral(DESO_TEST_DATA_DIR "/animated.gif"), QSize(16, 16));
        QVERIFY(t.ok());
        QCOMPARE(t->size(), QSize(16, 12));

        const QString small = writeTemp(QStringLiteral("small.webp"), encode(photo(50, 40), "webp", 80));
        t = makeThumbnail(small, QSize(300, 300));
        QVERIFY(t.ok());
        QCOMPARE(t->size(), QSize(50, 40));  // never enlarged

        t = makeThumbnail(m_dir.filePath(QStringLiteral("missing.jpg")), QSize(10, 10));
        QVERIFY(!t.ok());
        QCOMPARE(t.error().code, QStringLiteral("image.unreadable"));
    }

    // ---------------------------------------------------------------- make it acceptable
    void acceptableScalesLargePhotos()
    {
        const QString path = writeTemp(QStringLiteral("holiday.jpg"), jpegWithExif(m_bigJpeg, 6));
        auto a = makeAcceptableAsync(path).result();
        QVERIFY2(a.ok(), qPrintable(a.ok() ? QString() : a.error().toString()));
        QVERIFY(!a->unchanged);
        QCOMPARE(a->format, Format::Jpeg);
        QCOMPARE(a->fileName, QStringLiteral("holiday.jpg"));
        QCOMPARE(a->originalSize, QSize(4000, 6000));  // orientation 6 makes it portrait
        QCOMPARE(a->size, QSize(2666, 4000));
        QVERIFY(a->bytes.size() <= kMaxUploadBytes);
        QCOMPARE(a->quality, 95);  // highest tried, and it fits
        QVERIFY2(a->description.contains(QStringLiteral("4000×6000")) && a->description.contains(QStringLiteral("2666×4000")),
                 qPrintable(a->description));
        QCOMPARE(decode(a->bytes).size(), QSize(2666, 4000));
        QCOMPARE(deso::image::exifOrientation(a->bytes, Format::Jpeg), 1);
        // The node's own pipeline accepts the result, and does not need to scale it.
        auto node = ImagePipeline::process(a->bytes, a->mimeType);
        QVERIFY(node.ok());
        QCOMPARE(node->outputSize, QSize(2666, 4000));
    }

    void acceptableKeepsWhatFits()
    {
        const QByteArray jpeg = encode(photo(1200, 900), "jpeg", 90);
        auto a = makeAcceptable(jpeg, QStringLiteral("ok.jpeg"));
        QVERIFY(a.ok());
        QVERIFY(a->unchanged);
        QCOMPARE(a->bytes, jpeg);
        QVERIFY(a->description.startsWith(QStringLiteral("Already acceptable")));

        QFile f(QStringLiteral(DESO_TEST_DATA_DIR "/animated.gif"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray gif = f.readAll();
        a = makeAcceptable(gif, QStringLiteral("a.gif"));
        QVERIFY(a.ok());
        QVERIFY(a->unchanged);
        QCOMPARE(a->bytes, gif);

        QByteArray hugeGif = gif;
        hugeGif.append(QByteArray(kMaxUploadBytes, '\0'));
        a = makeAcceptable(hugeGif, QStringLiteral("huge.gif"));
        QVERIFY(!a.ok());
        QCOMPARE(a.error().code, QStringLiteral("image.gif_not_acceptable"));
        QVERIFY(a.error().message.contains(QStringLiteral("animation")));
    }

    void acceptableHandlesAlphaOversizeAndBeyondTheGuard()
    {
        // Transparency: lossless PNG when it fits.
        auto a = makeAcceptable(encode(photo(5000, 300, 8, true, 0), "png"), QStringLiteral("logo.png"));
        QVERIFY2(a.ok(), qPrintable(a.ok() ? QString() : a.error().toString()));
        QCOMPARE(a->format, Format::Png);
        QCOMPARE(a->size, QSize(4000, 240));
        QVERIFY(decode(a->bytes).hasAlphaChannel());

        // Over 10 MB at an acceptable size: same size, re-encoded until it fits.
        const QByteArray noisyPng = encode(photo(2200, 1600, 11, false, 0), "png", 100);  // stored, not deflated
        QVERIFY(noisyPng.size() > kMaxUploadBytes);
        a = makeAcceptable(noisyPng, QStringLiteral("scan.png"));
        QVERIFY(a.ok());
        QCOMPARE(a->size, QSize(2200, 1600));
        QCOMPARE(a->format, Format::Jpeg);
        QVERIFY(a->bytes.size() <= kMaxUploadBytes);
        QVERIFY(a->description.contains(QStringLiteral("bytes (the node takes at most 10,000,000)")));

        // Wider than the node's 16,383 px guard: shrunk on load, then accepted.
        a = makeAcceptable(encode(photo(17000, 400, 12, false, 0), "jpeg", 90), QStringLiteral("panorama.jpg"));
        QVERIFY(a.ok());
        QCOMPARE(a->size, QSize(4000, 94));
        QVERIFY(ImagePipeline::process(a->bytes, a->mimeType).ok());
    }
};

QTEST_GUILESS_MAIN(TestImage)
#include "tst_image.moc"
