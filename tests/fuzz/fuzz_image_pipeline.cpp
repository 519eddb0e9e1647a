// The whole upload-image pipeline (sniff, guard, decode with shrink-on-load, EXIF
// orientation, scale, WebP encode; GIF validation) on small inputs, as the host
// runs it on the file part of the form. Properties: every refusal is a 400 with an
// image.* code (a 500 only for encoder faults, which must not happen here); an
// accepted image is a WebP or the GIF unchanged, named by its content, no larger
// than the long-side limit (64 px here, see below).
#include "fuzzcheck.h"
#include "image/imageformat.h"
#include "image/imagepipeline.h"

#include <QBuffer>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QImageWriter>

#include <webp/decode.h>

#include <cstdint>
#include <cstdio>

using namespace deso::image;

namespace {

constexpr qint64 kFuzzMaxPixels = 1 << 20;
constexpr int kFuzzMaxLongSide = 64;

QByteArray encoded(const QImage &image, const char *format, int quality = -1, bool progressive = false)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QImageWriter writer(&buffer, format);
    if (quality >= 0)
        writer.setQuality(quality);
    writer.setProgressiveScanWrite(progressive);
    writer.write(image);
    return buffer.data();
}

// A JPEG with an EXIF APP1 segment holding only Orientation = `orientation`.
QByteArray withExifOrientation(const QByteArray &jpeg, int orientation)
{
    const QByteArray tiff = QByteArray("MM\0*\0\0\0\x08", 8) + QByteArray("\0\x01", 2)
        + QByteArray("\x01\x12\0\x03\0\0\0\x01\0", 9) + char(orientation) + QByteArray("\0\0", 2)
        + QByteArray(4, '\0');
    const QByteArray payload = QByteArray("Exif\0\0", 6) + tiff;
    const int len = int(payload.size()) + 2;
    return jpeg.left(2) + "\xFF\xE1" + char(len >> 8) + char(len & 0xff) + payload + jpeg.mid(2);
}

// Writes small images of every accepted kind for the seed corpora, then exits.
void writeSeeds(const QString &dir)
{
    QDir().mkpath(dir);
    QImage rgb(13, 7, QImage::Format_RGB888);
    for (int y = 0; y < rgb.height(); ++y)
        for (int x = 0; x < rgb.width(); ++x)
            rgb.setPixel(x, y, qRgb(x * 19, y * 36, (x * y) % 256));
    QImage alpha = rgb.convertToFormat(QImage::Format_ARGB32);
    alpha.setPixel(0, 0, qRgba(1, 2, 3, 4));
    const QList<QPair<QString, QByteArray>> seeds{
        {QStringLiteral("baseline.jpg"), encoded(rgb, "jpeg", 70)},
        {QStringLiteral("progressive.jpg"), encoded(rgb, "jpeg", 70, true)},
        {QStringLiteral("exif6.jpg"), withExifOrientation(encoded(rgb, "jpeg", 50), 6)},
        {QStringLiteral("grey.jpg"), encoded(rgb.convertToFormat(QImage::Format_Grayscale8), "jpeg", 50)},
        {QStringLiteral("rgb.png"), encoded(rgb, "png")},
        {QStringLiteral("alpha.png"), encoded(alpha, "png")},
        {QStringLiteral("indexed.png"), encoded(rgb.convertToFormat(QImage::Format_Indexed8), "png")},
        {QStringLiteral("lossy.webp"), encoded(rgb, "webp", 60)},
        {QStringLiteral("lossless.webp"), encoded(alpha, "webp", 100)},
        {QStringLiteral("still.gif"), encoded(rgb.convertToFormat(QImage::Format_Indexed8), "gif")},
    };
    for (const auto &[name, bytes] : seeds) {
        QFile f(QDir(dir).filePath(name));
        if (bytes.isEmpty() || !f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
            std::fprintf(stderr, "could not write seed %s\n", qPrintable(name));
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    // Qt's GIF reader is a plugin: give Qt an application so plugins load as in the host.
    static QCoreApplication app(*argc, *argv);
    if (qEnvironmentVariableIsSet("DESO_FUZZ_WRITE_SEEDS")) {
        writeSeeds(qEnvironmentVariable("DESO_FUZZ_WRITE_SEEDS"));
        std::exit(0);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    // First byte: which Content-Type the form declared (none, or one of the four).
    static const QString types[] = {QString(), QStringLiteral("image/jpeg"), QStringLiteral("image/png"),
                                    QStringLiteral("image/webp"), QStringLiteral("image/gif")};
    const QString declared = types[data[0] % 5];
    const QByteArray bytes(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));

    // A 3 KB PNG may declare 4000x4000 px, and decoding plus encoding that takes about a
    // second: such inputs held this target to a few hundred execs/s. Canvases within
    // the guard but over 1 MP are skipped (their header parsing is fuzz_image_header's
    // job); ones beyond the guard still go through, since their refusal is cheap. The
    // long side limit is scaled down from the node's 4000 px to 64 so that small
    // inputs take the scaling path too.
    if (const auto header = readHeader(bytes);
        header.ok() && checkDimensions(*header).ok()
        && qint64(header->size.width()) * header->size.height() > kFuzzMaxPixels)
        return 0;
    PipelineOptions options;
    options.multiThreaded = false; // one fuzzing process, one thread
    options.maxLongSide = kFuzzMaxLongSide;
    const auto result = ImagePipeline::process(bytes, declared, options);
    if (!result.ok()) {
        FUZZ_CHECK(result.error().code.startsWith(QLatin1String("image.")));
        FUZZ_CHECK(result.error().httpStatus == 400);
        return 0;
    }
    const ProcessedImage &img = result.value();
    FUZZ_CHECK(img.outputSize.width() >= 1 && img.outputSize.height() >= 1);
    FUZZ_CHECK(qMax(img.outputSize.width(), img.outputSize.height()) <= kFuzzMaxLongSide
               || img.passedThrough);
    FUZZ_CHECK(img.name == ImagePipeline::contentName(img.bytes, img.passedThrough ? Format::Gif : Format::Webp));
    if (img.passedThrough) {
        FUZZ_CHECK(img.bytes == bytes);
        FUZZ_CHECK(img.mimeType == QLatin1String("image/gif"));
    } else {
        int w = 0, h = 0;
        FUZZ_CHECK(WebPGetInfo(reinterpret_cast<const uint8_t *>(img.bytes.constData()), size_t(img.bytes.size()), &w, &h));
        FUZZ_CHECK(QSize(w, h) == img.outputSize);
    }
    return 0;
}
