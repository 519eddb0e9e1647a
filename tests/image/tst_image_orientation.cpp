// EXIF orientation without a full-size buffer: the pipeline applies orientations 2..8
// while rows enter the WebP encoder's YUV planes. Proven two ways:
//  - the output is byte for byte what the old route produced (decode at the target
//    size, rotate the whole QImage with Qt, encode), for all eight orientations,
//    with odd sizes, with and without alpha;
//  - a 16,383 × 16,383 JPEG (the largest the node's guard lets in) in all eight
//    orientations, each processed in a child process (this executable re-run with
//    --process-child) whose peak RSS (VmHWM) must stay within the bound, and whose
//    output must be the orientation-1 output rotated by Qt.
// Also: the resampler's AVX2 loops and its portable loops give the same bytes.
#include "image/exiforientation.h"
#include "image/imageformat.h"
#include "image/imagepipeline.h"
#include "image/scaleddecoder.h"
#include "image/webpencoder.h"
#include "imagetestfiles.h"
#include "testfiles.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cstdio>
#include <cstring>
#include <vector>

#include <csignal>

#include <jpeglib.h>
#include <sys/resource.h>
#include <unistd.h>
#include <webp/encode.h>

using namespace deso;
using namespace deso::image;
using namespace imagetest;

namespace {

constexpr qint64 kPeakBound = 64ll * 1024 * 1024;

// Stored quadrants TL red, TR green, BL blue, BR white, plus a dark square inside TL
// near its top-left corner, so that every one of the eight orientations looks different.
QRgb patternAt(int x, int y, int w, int h)
{
    if (x >= w / 16 && x < w / 8 && y >= h / 16 && y < h / 8)
        return qRgb(20, 20, 20);
    static const QRgb colors[4] = {qRgb(220, 30, 30), qRgb(30, 200, 40), qRgb(40, 50, 210), qRgb(245, 245, 245)};
    return colors[(y >= h / 2 ? 2 : 0) + (x >= w / 2 ? 1 : 0)];
}

QImage pattern(int w, int h, bool alpha)
{
    QImage img(w, h, alpha ? QImage::Format_RGBA8888 : QImage::Format_RGB888);
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            QColor c = QColor::fromRgb(patternAt(x, y, w, h));
            // A gradient too, so that chroma and luma differ between neighbours.
            c.setRed(std::clamp(c.red() + (x * 31 + y * 17) % 23 - 11, 0, 255));
            if (alpha)
                c.setAlpha(x < w / 3 ? 255 : (y < h / 2 ? 120 : 0));
            img.setPixelColor(x, y, c);
        }
    }
    return img;
}

// An eXIf chunk right after IHDR.
QByteArray pngWithExif(const QByteArray &png, int orientation)
{
    return pngWithChunkAfterIhdr(png, pngChunk("eXIf", tiffOrientation(orientation)));
}

// The pattern, one RGB row at a time.
void patternRow(int y, int w, int h, uchar *rgb)
{
    for (int x = 0; x < w; ++x) {
        const QRgb c = patternAt(x, y, w, h);
        rgb[size_t(x) * 3] = uchar(qRed(c));
        rgb[size_t(x) * 3 + 1] = uchar(qGreen(c));
        rgb[size_t(x) * 3 + 2] = uchar(qBlue(c));
    }
}

// A w×h baseline JPEG of the pattern (a 16,383² RGB bitmap would be 805 MB).
bool writeBigJpeg(const QString &path, int w, int h)
{
    return writeJpegRows(path, w, h, false, 80, [w, h](int y, uchar *rgb) { patternRow(y, w, h, rgb); });
}

// The child: process one file with the pipeline's defaults, write the WebP, print the
// peak RSS of this process.
int processChild(const char *inPath, const char *outPath)
{
    // Disc-full stand-in for the scratch-file tests: writes past this many bytes fail
    // with EFBIG (SIGXFSZ ignored, else it would kill the process).
    if (const qint64 limit = qEnvironmentVariable("DESO_TEST_FILE_SIZE_LIMIT").toLongLong(); limit > 0) {
        std::signal(SIGXFSZ, SIG_IGN);
        const rlimit rl {rlim_t(limit), rlim_t(limit)};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            return 4;
    }
    QFile in(QFile::decodeName(inPath));
    if (!in.open(QIODevice::ReadOnly))
        return 2;
    const QByteArray bytes = in.readAll();
    in.close();
    PipelineOptions options;
    options.maxFileBytes = 0;
    auto r = ImagePipeline::process(bytes, {}, options);
    if (!r.ok()) {
        std::fprintf(stderr, "%s\n", qPrintable(r.error().toString()));
        return 1;
    }
    QFile out(QFile::decodeName(outPath));
    if (!out.open(QIODevice::WriteOnly) || out.write(r->bytes) != r->bytes.size())
        return 3;
    out.close();
    std::printf("VmHWM %lld\n", static_cast<long long>(testcommon::procStatusBytes(getpid(), "VmHWM")));
    return 0;
}

// Smooth ramps with an edge every few dozen pixels: every block row differs (a page
// put back in the wrong place shows), yet 16,383² stays a few MB as JPEG or PNG.
void textureRow(int y, int w, uchar *rgb)
{
    for (int x = 0; x < w; ++x) {
        rgb[size_t(x) * 3] = uchar((x >> 6) + (y >> 5));
        rgb[size_t(x) * 3 + 1] = uchar((x >> 5) ^ (y >> 6));
        rgb[size_t(x) * 3 + 2] = uchar(((x + y) >> 7) * 3);
    }
}

// The two formats that page to a scratch file, as test rows.
void pagedFormatRows()
{
    QTest::addColumn<bool>("png");
    QTest::newRow("progressive jpeg") << false;
    QTest::newRow("interlaced png") << true;
}

struct ChildRun {
    QProcess::ExitStatus status = QProcess::CrashExit;
    int exitCode = -1;
    QByteArray stdErr;
    qint64 peak = 0;  // VmHWM, bytes (when the child succeeded)
    qint64 wallMs = 0;
};

// This executable re-run with --process-child on `in`, writing `out`.
ChildRun runChild(const QString &in, const QString &out, const QMap<QString, QString> &env = {})
{
    QProcess child;
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    for (auto it = env.begin(); it != env.end(); ++it)
        e.insert(it.key(), it.value());
    child.setProcessEnvironment(e);
    QElapsedTimer timer;
    timer.start();
    child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--process-child"), in, out});
    ChildRun run;
    if (!child.waitForFinished(10 * 60 * 1000))
        return run;
    run.wallMs = timer.elapsed();
    run.status = child.exitStatus();
    run.exitCode = child.exitCode();
    run.stdErr = child.readAllStandardError();
    const QByteArray report = child.readAllStandardOutput().trimmed();
    if (report.startsWith("VmHWM "))
        run.peak = report.mid(6).toLongLong();
    return run;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeAll(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

} // namespace

class TestImageOrientation : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void sameBytesAsRotatingTheWholeImage_data()
    {
        QTest::addColumn<int>("orientation");
        QTest::addColumn<QSize>("size");
        QTest::addColumn<bool>("alpha");
        for (int o = 1; o <= 8; ++o) {
            // Odd and even sides, scaled and not: every chroma pairing case.
            QTest::addRow("%d 63x37", o) << o << QSize(63, 37) << false;
            QTest::addRow("%d 64x38", o) << o << QSize(64, 38) << false;
            QTest::addRow("%d 4321x1235 scaled", o) << o << QSize(4321, 1235) << false;
            QTest::addRow("%d 37x63 alpha", o) << o << QSize(37, 63) << true;
        }
    }

    void sameBytesAsRotatingTheWholeImage()
    {
        QFETCH(int, orientation);
        QFETCH(QSize, size);
        QFETCH(bool, alpha);
        const QImage src = pattern(size.width(), size.height(), alpha);
        const QByteArray file = alpha ? pngWithExif(encode(src, "png"), orientation)
                                      : jpegWithExif(encode(src, "jpeg", 90), orientation);
        const Format format = alpha ? Format::Png : Format::Jpeg;
        QCOMPARE(exifOrientation(file, format), orientation);
        const PipelineOptions options;
        auto r = ImagePipeline::process(file, {}, options);
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));

        // The old route: a whole decoded image, rotated by Qt, then encoded.
        auto header = readHeader(file);
        QVERIFY(header.ok());
        const QSize storedTarget = ImagePipeline::targetSize(header->size, options.maxLongSide);
        auto decoded = decodeToImage(file, *header, storedTarget);
        QVERIFY(decoded.ok());
        const QImage rotated = applyOrientation(std::move(decoded).value(), orientation);
        auto reference = encodeWebp(rotated, WebpEncodeSettings {options.webpQuality, options.webpMethod, true});
        QVERIFY(reference.ok());
        QCOMPARE(r->outputSize, rotated.size());
        QVERIFY2(r->bytes == *reference, qPrintable(QStringLiteral("%1 bytes vs the reference's %2")
                                                        .arg(r->bytes.size()).arg(reference->size())));
    }

    void portableAndAvx2ResamplersAgree_data()
    {
        QTest::addColumn<QByteArray>("file");
        QTest::addColumn<QSize>("expected");
        QImage noisy(6000, 600, QImage::Format_RGB888);
        quint32 seed = 7;
        for (int y = 0; y < noisy.height(); ++y) {
            uchar *p = noisy.scanLine(y);
            for (int i = 0; i < noisy.width() * 3; ++i) {
                seed = seed * 1664525u + 1013904223u;
                p[i] = uchar(((i / 3) * 255 / noisy.width() + y / 3 + int(seed >> 27)) & 0xff);
            }
        }
        QTest::newRow("jpeg 6000x600 (1.5x, lanczos)") << encode(noisy, "jpeg", 92) << QSize(4000, 400);
        QTest::newRow("jpeg 4321x1235 orientation 6") << jpegWithExif(encode(pattern(4321, 1235, false), "jpeg", 90), 6)
                                                      << QSize(1143, 4000);
        QTest::newRow("png rgba 9001x301 (box 2 + lanczos)") << encode(pattern(9001, 301, true), "png") << QSize(4000, 133);
    }

    void portableAndAvx2ResamplersAgree()
    {
        QFETCH(QByteArray, file);
        QFETCH(QSize, expected);
        if (!__builtin_cpu_supports("avx2"))
            QSKIP("this CPU has no AVX2: only the portable loops run here");
        const QString in = m_dir.filePath(QStringLiteral("simd-in"));
        QFile f(in);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QCOMPARE(f.write(file), file.size());
        f.close();
        QByteArray outputs[2];
        for (int portable = 0; portable < 2; ++portable) {
            const QString out = m_dir.filePath(QStringLiteral("simd-out-%1.webp").arg(portable));
            QProcess child;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            if (portable)
                env.insert(QStringLiteral("DESO_RESAMPLER_PORTABLE"), QStringLiteral("1"));
            else
                env.remove(QStringLiteral("DESO_RESAMPLER_PORTABLE"));
            child.setProcessEnvironment(env);
            child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--process-child"), in, out});
            QVERIFY(child.waitForFinished(60 * 1000));
            QVERIFY2(child.exitCode() == 0, child.readAllStandardError().constData());
            QFile o(out);
            QVERIFY(o.open(QIODevice::ReadOnly));
            outputs[portable] = o.readAll();
        }
        QCOMPARE(QImage::fromData(outputs[0]).size(), expected);
        QVERIFY(outputs[0] == outputs[1]);
    }

    void largestAcceptedImageInEveryOrientationStaysWithinTheBound()
    {
        const int side = kMaxDimension;
        const QString stored = m_dir.filePath(QStringLiteral("big.jpg"));
        QVERIFY(writeBigJpeg(stored, side, side));
        QFile f(stored);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray jpeg = f.readAll();
        f.close();
        qInfo("a %d×%d baseline JPEG of %lld bytes", side, side, static_cast<long long>(jpeg.size()));

        QImage upright;
        for (int o = 1; o <= 8; ++o) {
            const QString in = m_dir.filePath(QStringLiteral("big-%1.jpg").arg(o));
            const QString out = m_dir.filePath(QStringLiteral("big-%1.webp").arg(o));
            QFile w(in);
            QVERIFY(w.open(QIODevice::WriteOnly));
            const QByteArray withExif = jpegWithExif(jpeg, o);
            QCOMPARE(w.write(withExif), withExif.size());
            w.close();

            QProcess child;
            child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--process-child"), in, out});
            QVERIFY(child.waitForFinished(5 * 60 * 1000));
            QVERIFY2(child.exitStatus() == QProcess::NormalExit && child.exitCode() == 0,
                     qPrintable(QString::fromLocal8Bit(child.readAllStandardError())));
            const QByteArray report = child.readAllStandardOutput().trimmed();
            QVERIFY2(report.startsWith("VmHWM "), report.constData());
            const qint64 peak = report.mid(6).toLongLong();
            qInfo("orientation %d: peak RSS %.1f MB (bound %lld MB)", o, double(peak) / (1024 * 1024),
                  static_cast<long long>(kPeakBound / (1024 * 1024)));
            QVERIFY(peak > 0);
            QVERIFY2(peak <= kPeakBound, qPrintable(QStringLiteral("orientation %1 peaked at %2 bytes").arg(o).arg(peak)));

            QImage result(out);
            QVERIFY(!result.isNull());
            QCOMPARE(result.size(), QSize(4000, 4000));
            if (o == 1) {
                upright = result;
                // The pattern itself: the dark square sits near the top-left.
                QVERIFY(qGray(upright.pixel(375, 375)) < 60);
                QVERIFY(qRed(upright.pixel(3000, 1000)) < 80 && qGreen(upright.pixel(3000, 1000)) > 150);
                continue;
            }
            // Independent reference: Qt rotates the upright result.
            const QImage expected = applyOrientation(upright, o);
            const double diff = meanAbsDiff(result, expected);
            QVERIFY2(diff < 1.0, qPrintable(QStringLiteral("orientation %1 differs by %2 on average").arg(o).arg(diff)));
            QFile::remove(in);
            QFile::remove(out);
        }
    }

    // What used to be refused above the 160 MB decode bound now streams: a 16,383²
    // progressive JPEG (805 MB of DCT coefficients) pages its coefficients to a scratch
    // file, a 16,383² Adam7 PNG keeps its passes there. Each runs in a child whose peak
    // RSS must stay within the bound, and its output must be the very bytes its
    // baseline / non-interlaced twin (same pixels) gives.
    void largestProgressiveAndInterlacedStayWithinTheBound_data() { pagedFormatRows(); }

    void largestProgressiveAndInterlacedStayWithinTheBound()
    {
        QFETCH(bool, png);
        const int side = kMaxDimension;
        const auto fill = [side](int y, uchar *rgb) { textureRow(y, side, rgb); };
        const QString ext = png ? QStringLiteral("png") : QStringLiteral("jpg");
        const QString plain = m_dir.filePath(QStringLiteral("twin-plain.") + ext);
        const QString variant = m_dir.filePath(QStringLiteral("twin-variant.") + ext);
        QElapsedTimer timer;
        timer.start();
        QVERIFY(png ? writePngRows(plain, side, side, false, fill) : writeJpegRows(plain, side, side, false, 85, fill));
        QVERIFY(png ? writePngRows(variant, side, side, true, fill) : writeJpegRows(variant, side, side, true, 85, fill));
        qInfo("%d×%d %s: %lld bytes, %s twin %lld bytes (written in %lld ms)", side, side,
              png ? "interlaced PNG" : "progressive JPEG", static_cast<long long>(QFileInfo(variant).size()),
              png ? "non-interlaced" : "baseline", static_cast<long long>(QFileInfo(plain).size()),
              static_cast<long long>(timer.elapsed()));
        auto header = readHeader(readAll(variant).left(1 << 16));
        QVERIFY(header.ok());

        QByteArray outputs[2];
        for (int v = 0; v < 2; ++v) {
            const QString in = v ? variant : plain;
            const QString out = in + QStringLiteral(".webp");
            const ChildRun run = runChild(in, out);
            QVERIFY2(run.status == QProcess::NormalExit && run.exitCode == 0, run.stdErr.constData());
            qInfo("%s: peak RSS %.1f MB (bound %lld MB), wall %lld ms",
                  v ? (png ? "interlaced" : "progressive") : (png ? "non-interlaced" : "baseline"),
                  double(run.peak) / (1024 * 1024), static_cast<long long>(kPeakBound / (1024 * 1024)),
                  static_cast<long long>(run.wallMs));
            QVERIFY(run.peak > 0);
            QVERIFY2(run.peak <= kPeakBound, qPrintable(QStringLiteral("peaked at %1 bytes").arg(run.peak)));
            outputs[v] = readAll(out);
            QFile::remove(in);
            QFile::remove(out);
        }
        QCOMPARE(QImage::fromData(outputs[1]).size(), QSize(4000, 4000));
        QVERIFY2(outputs[0] == outputs[1], "the twins' outputs differ");
    }

    // An opaque lossy WebP is decoded by libwebp's scaler straight to the output size, as
    // YUV 4:2:0 converted row by row (scaleddecoder.cpp): the largest one stays in the bound.
    void largestLossyWebpStaysWithinTheBound()
    {
        const int side = kMaxDimension;
        // Gentle ramps: VP8 keeps every macroblock's mode in a first partition of at most
        // 512 KiB, which a busier 16,383² picture (a million macroblocks) overflows.
        std::vector<uchar> rgb(size_t(side) * side * 3);
        for (int y = 0; y < side; ++y) {
            uchar *p = rgb.data() + size_t(y) * side * 3;
            for (int x = 0; x < side; ++x) {
                p[3 * x] = uchar(x >> 6);
                p[3 * x + 1] = uchar(y >> 6);
                p[3 * x + 2] = uchar((x + y) >> 7);
            }
        }
        WebPConfig config;
        QVERIFY(WebPConfigInitInternal(&config, WEBP_PRESET_DEFAULT, 75, WEBP_ENCODER_ABI_VERSION));
        config.method = 0;
        config.segments = 1;
        config.partition_limit = 100;
        QElapsedTimer timer;
        timer.start();
        const QByteArray webp = encodeWebpPixels(config, side, side, rgb.data(), side * 3, false);
        std::vector<uchar>().swap(rgb);
        QVERIFY(!webp.isEmpty());
        const QString in = m_dir.filePath(QStringLiteral("lossy.webp"));
        QVERIFY(writeAll(in, webp));
        const QString out = m_dir.filePath(QStringLiteral("lossy-out.webp"));
        const ChildRun run = runChild(in, out);
        QVERIFY2(run.status == QProcess::NormalExit && run.exitCode == 0, run.stdErr.constData());
        qInfo("%d×%d lossy WebP (%lld bytes, written in %lld ms): peak RSS %.1f MB (bound %lld MB), wall %lld ms", side, side,
              static_cast<long long>(webp.size()), static_cast<long long>(timer.elapsed() - run.wallMs),
              double(run.peak) / (1024 * 1024), static_cast<long long>(kPeakBound / (1024 * 1024)),
              static_cast<long long>(run.wallMs));
        QVERIFY(run.peak > 0);
        QVERIFY2(run.peak <= kPeakBound, qPrintable(QStringLiteral("peaked at %1 bytes").arg(run.peak)));
        const QImage result(out);
        QCOMPARE(result.size(), QSize(4000, 4000));
        const int sx = 3500 * side / 4000, sy = 1750 * side / 4000;
        QVERIFY(std::abs(qRed(result.pixel(3500, 1750)) - (sx >> 6)) <= 3);
        QVERIFY(std::abs(qGreen(result.pixel(3500, 1750)) - (sy >> 6)) <= 3);
        QFile::remove(in);
        QFile::remove(out);
    }

    // A lossless WebP holds its whole ARGB image in libwebp (7000² = 187 MB): over the
    // old 160 MB bound, now admitted under the process-wide decode budget; refused only
    // when it needs more than the whole budget.
    void largeLosslessWebpIsAdmittedUnderTheBudget()
    {
        const int side = 7000;
        std::vector<uchar> rgb(size_t(side) * side * 3);
        for (int y = 0; y < side; ++y)
            textureRow(y, side, rgb.data() + size_t(y) * side * 3);
        WebPConfig config;
        QVERIFY(WebPConfigInit(&config));
        config.lossless = 1;
        config.method = 0;
        config.quality = 0;
        const QByteArray webp = encodeWebpPixels(config, side, side, rgb.data(), side * 3, false);
        std::vector<uchar>().swap(rgb);
        QVERIFY(!webp.isEmpty());
        const QString in = m_dir.filePath(QStringLiteral("lossless.webp"));
        QVERIFY(writeAll(in, webp));

        const QString out = m_dir.filePath(QStringLiteral("lossless-out.webp"));
        const ChildRun run = runChild(in, out);
        QVERIFY2(run.status == QProcess::NormalExit && run.exitCode == 0, run.stdErr.constData());
        qInfo("%d×%d lossless WebP (%lld bytes): accepted, peak RSS %.1f MB, wall %lld ms", side, side,
              static_cast<long long>(webp.size()), double(run.peak) / (1024 * 1024), static_cast<long long>(run.wallMs));
        const QImage result(out);
        QCOMPARE(result.size(), QSize(4000, 4000));
        // Texture check at one spot: (x >> 6) + (y >> 5) of the source pixel under it.
        const int sx = 3500 * side / 4000, sy = 1750 * side / 4000;
        QVERIFY(std::abs(qRed(result.pixel(3500, 1750)) - (((sx >> 6) + (sy >> 5)) & 0xff)) <= 8);

        const ChildRun refused = runChild(in, out, {{QStringLiteral("DESO_DECODE_MEMORY_BUDGET_MB"), QStringLiteral("100")}});
        QCOMPARE(refused.status, QProcess::NormalExit);
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.stdErr.contains("image.memory_bound") && refused.stdErr.contains("100 MB"),
                 refused.stdErr.constData());
    }

    // A GIF whose logical screen is 16,383² (one 1×1 frame, 43 bytes): Qt's reader
    // composes it on a whole 1,024 MB canvas, once refused over the 160 MB bound, now
    // admitted under the decode budget and stored byte for byte.
    void largestGifCanvasIsAdmittedUnderTheBudget()
    {
        const auto le16 = [](int v) { return QByteArray(1, char(v & 0xff)) + char(v >> 8); };
        QByteArray gif("GIF89a");
        gif += le16(kMaxDimension) + le16(kMaxDimension) + QByteArray("\x80\x00\x00", 3);  // 2-colour table
        gif += QByteArray("\x00\x00\x00\xff\xff\xff", 6);
        gif += QByteArray("\x21\xf9\x04\x00\x00\x00\x00\x00", 8);  // graphic control, disposal 0
        gif += QByteArray("\x2c", 1) + le16(100) + le16(100) + le16(1) + le16(1) + char(0);
        gif += QByteArray("\x02\x02\x44\x01\x00\x3b", 6);  // LZW: clear, 0, end; trailer
        const QString in = m_dir.filePath(QStringLiteral("canvas.gif"));
        QVERIFY(writeAll(in, gif));
        const QString out = m_dir.filePath(QStringLiteral("canvas-out.gif"));
        const ChildRun run = runChild(in, out);
        QVERIFY2(run.status == QProcess::NormalExit && run.exitCode == 0, run.stdErr.constData());
        qInfo("%d×%d GIF canvas: accepted, peak RSS %.1f MB, wall %lld ms", kMaxDimension, kMaxDimension,
              double(run.peak) / (1024 * 1024), static_cast<long long>(run.wallMs));
        QCOMPARE(readAll(out), gif);
    }

    // A scratch file that cannot be written (disc full, here a file size limit; or no
    // temporary directory) is a clear error from the child, never a crash.
    void scratchFileFailuresAreErrors_data() { pagedFormatRows(); }

    void scratchFileFailuresAreErrors()
    {
        QFETCH(bool, png);
        const int side = 4000;  // 48 MB of coefficients or of decoded PNG: paged
        const auto fill = [side](int y, uchar *rgb) { textureRow(y, side, rgb); };
        const QString in = m_dir.filePath(png ? QStringLiteral("scratch.png") : QStringLiteral("scratch.jpg"));
        QVERIFY(png ? writePngRows(in, side, side, true, fill) : writeJpegRows(in, side, side, true, 85, fill));
        const QString out = m_dir.filePath(QStringLiteral("scratch-out.webp"));

        const ChildRun full = runChild(in, out, {{QStringLiteral("DESO_TEST_FILE_SIZE_LIMIT"), QStringLiteral("4000000")}});
        QCOMPARE(full.status, QProcess::NormalExit);
        QCOMPARE(full.exitCode, 1);
        QVERIFY2(full.stdErr.contains("There is not enough disk space to decode this image. (image.no_space)"),
                 full.stdErr.constData());

        const ChildRun noDir = runChild(in, out, {{QStringLiteral("TMPDIR"), m_dir.filePath(QStringLiteral("no-such-dir"))}});
        QCOMPARE(noDir.status, QProcess::NormalExit);
        QCOMPARE(noDir.exitCode, 1);
        QVERIFY2(noDir.stdErr.contains("image.temp_file") && noDir.stdErr.contains("no-such-dir"), noDir.stdErr.constData());

        const ChildRun fine = runChild(in, out);
        QVERIFY2(fine.status == QProcess::NormalExit && fine.exitCode == 0, fine.stdErr.constData());
        QCOMPARE(QImage(out).size(), QSize(4000, 4000));
    }
};

int main(int argc, char **argv)
{
    if (argc == 4 && std::strcmp(argv[1], "--process-child") == 0)
        return processChild(argv[2], argv[3]);
    QCoreApplication app(argc, argv);
    TestImageOrientation test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_image_orientation.moc"
