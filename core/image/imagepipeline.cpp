#include "image/imagepipeline.h"

#include "image/exiforientation.h"
#include "image/scaleddecoder.h"
#include "image/webpencoder.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QImageReader>
#include <QLocale>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <webp/decode.h>

#include <algorithm>

namespace deso::image {

namespace {

Error gifError(const QString &detail)
{
    return Error(QStringLiteral("image.corrupt"), QStringLiteral("The GIF image is malformed: %1.").arg(detail), 400);
}

Error gifTruncated()
{
    return Error(QStringLiteral("image.truncated"),
                 QStringLiteral("The GIF image ends early (the file is truncated or incomplete)."), 400);
}

struct GifWalk {
    int frames = 0;
    bool restoresPrevious = false;  // a frame with disposal 3: Qt keeps a second canvas
};

// Walks the GIF block structure to the trailer: catches truncation that Qt's lenient
// decoder would paper over, without decoding anything.
Result<GifWalk> walkGif(const QByteArray &bytes)
{
    const auto *p = reinterpret_cast<const uchar *>(bytes.constData());
    const qsizetype n = bytes.size();
    qsizetype i = 13;
    if (n < 13)
        return gifTruncated();
    if (p[10] & 0x80)
        i += 3 * (qsizetype(1) << ((p[10] & 7) + 1));
    auto skipSubBlocks = [&]() -> bool {
        while (true) {
            if (i >= n)
                return false;
            const int len = p[i++];
            if (len == 0)
                return true;
            i += len;
        }
    };
    int frames = 0;
    bool restoresPrevious = false;
    while (true) {
        if (i >= n)
            return gifTruncated();
        const uchar b = p[i++];
        if (b == 0x3B)
            break;
        if (b == 0x21) {
            if (i >= n)
                return gifTruncated();
            // Graphic control extension: label 0xF9, block size, packed (disposal in bits 2-4).
            if (p[i] == 0xF9 && i + 2 < n && p[i + 1] >= 1 && ((p[i + 2] >> 2) & 7) == 3)
                restoresPrevious = true;
            ++i;  // label
            if (!skipSubBlocks())
                return gifTruncated();
        } else if (b == 0x2C) {
            if (i + 9 > n)
                return gifTruncated();
            const uchar packed = p[i + 8];
            i += 9;
            if (packed & 0x80)
                i += 3 * (qsizetype(1) << ((packed & 7) + 1));
            if (i >= n)
                return gifTruncated();
            const int minCode = p[i++];
            if (minCode < 1 || minCode > 11)
                return gifError(QStringLiteral("an invalid LZW code size in frame %1").arg(frames + 1));
            if (!skipSubBlocks())
                return gifTruncated();
            ++frames;
        } else {
            return gifError(QStringLiteral("an unknown block (0x%1) at byte %2").arg(b, 2, 16, QLatin1Char('0')).arg(i - 1));
        }
    }
    if (frames == 0)
        return gifError(QStringLiteral("it contains no image"));
    return GifWalk {frames, restoresPrevious};
}

} // namespace

QSize ImagePipeline::targetSize(QSize source, int maxLongSide)
{
    const qint64 w = source.width(), h = source.height();
    if (maxLongSide <= 0 || w <= 0 || h <= 0)
        return source;
    // max(1, …): a 16000×3 sliver would floor to 0 rows, which no encoder can write.
    if (w > h) {
        if (w >= maxLongSide)
            return QSize(maxLongSide, std::max(1, int(h * maxLongSide / w)));
    } else if (h >= maxLongSide) {
        return QSize(std::max(1, int(w * maxLongSide / h)), maxLongSide);
    }
    return source;
}

QString ImagePipeline::webpContentName(const QByteArray &webpBytes)
{
    return QString::fromLatin1(QCryptographicHash::hash(webpBytes, QCryptographicHash::Sha256).toHex())
        + QStringLiteral(".webp");
}

QString ImagePipeline::gifContentName(const QByteArray &gifBytes)
{
    return QString::fromLatin1(QCryptographicHash::hash(gifBytes.toBase64(), QCryptographicHash::Sha256).toHex())
        + QStringLiteral(".gif");
}

QString ImagePipeline::contentName(const QByteArray &storedBytes, Format storedFormat)
{
    return storedFormat == Format::Gif ? gifContentName(storedBytes) : webpContentName(storedBytes);
}

Status ImagePipeline::validateGif(const QByteArray &gifBytes, const ImageHeader &header)
{
    auto walk = walkGif(gifBytes);
    if (!walk.ok())
        return walk.error();
    const int frames = walk->frames;
    // Qt's GIF reader composes every frame on a full ARGB32 canvas, and keeps what a
    // "restore previous" frame covers in a second one: admitted under the decode budget
    // before reading.
    const qint64 canvasBytes = qint64(header.size.width()) * header.size.height() * 4;
    const qint64 need = canvasBytes * (walk->restoresPrevious ? 2 : 1);
    auto lease = DecodeMemoryBudget::instance().admit(header, QStringLiteral("checking that its frames decode"), need);
    if (!lease.ok())
        return lease.error();
    QBuffer buffer;
    buffer.setData(gifBytes);
    buffer.open(QIODevice::ReadOnly);
    QImageReader reader(&buffer, "gif");
    reader.setAllocationLimit(int(std::max(need, kDecodeMemoryBound) / (1024 * 1024)) + 1);
    for (int f = 0; f < frames; ++f) {
        QImage frame;
        if (!reader.read(&frame) || frame.isNull())
            return gifError(QStringLiteral("frame %1 of %2 does not decode (%3)").arg(f + 1).arg(frames).arg(reader.errorString()));
    }
    return {};
}

Result<ProcessedImage> ImagePipeline::process(const QByteArray &fileBytes, const QString &declaredContentType,
                                              const PipelineOptions &options)
{
    if (fileBytes.isEmpty())
        return Error(QStringLiteral("image.empty"), QStringLiteral("The file is empty (0 bytes)."), 400);
    if (options.maxFileBytes > 0 && fileBytes.size() > options.maxFileBytes) {
        return Error(QStringLiteral("image.file_too_large"),
                     QStringLiteral("File too large: %1 bytes; the limit is %2 bytes.")
                         .arg(groupDigits(fileBytes.size()), groupDigits(options.maxFileBytes)),
                     400);
    }
    std::optional<Format> declared;
    if (!declaredContentType.isEmpty()) {
        declared = formatFromMimeType(declaredContentType);
        if (!declared) {
            return Error(QStringLiteral("image.unsupported_type"),
                         QStringLiteral("Content type %1 is not supported; send image/gif, image/jpeg, image/png or "
                                        "image/webp.").arg(declaredContentType),
                         400);
        }
    }
    auto header = readHeader(fileBytes);
    if (!header.ok())
        return header.error();
    if (declared && *declared != header->format) {
        return Error(QStringLiteral("image.type_mismatch"),
                     QStringLiteral("The file was sent as %1 but its bytes are a %2 image.")
                         .arg(mimeType(*declared), formatName(header->format).toUpper()),
                     400);
    }
    if (Status s = checkDimensions(*header); !s.ok())
        return s.error();

    ProcessedImage out;
    out.sourceFormat = header->format;
    out.sourceSize = header->size;

    if (header->format == Format::Gif) {
        if (Status s = validateGif(fileBytes, *header); !s.ok())
            return s.error();
        out.bytes = fileBytes;
        out.name = gifContentName(fileBytes);
        out.mimeType = mimeType(Format::Gif);
        out.outputSize = header->size;
        out.passedThrough = true;
        return out;
    }

    const int orientation = options.applyExifOrientation ? exifOrientation(fileBytes, header->format) : 1;
    // The rule is symmetric under transposition, so it can be applied in stored
    // orientation and the result rotated afterwards.
    const QSize storedTarget = targetSize(header->size, options.maxLongSide);
    const WebpEncodeSettings settings {options.webpQuality, options.webpMethod, options.multiThreaded};

    // Orientation is applied as rows enter the encoder's YUV planes: no full-size
    // bitmap, stored or rotated, exists for any orientation.
    WebpRowEncoder encoder(settings, orientation);
    if (Status s = decodeScaled(fileBytes, *header, storedTarget, encoder, ResampleKernel::Lanczos3,
                                options.multiThreaded);
        !s.ok())
        return s.error();
    out.bytes = encoder.takeBytes();

    int w = 0, h = 0;
    if (!WebPGetInfo(reinterpret_cast<const uint8_t *>(out.bytes.constData()), size_t(out.bytes.size()), &w, &h)) {
        return Error(QStringLiteral("image.encode_failed"),
                     QStringLiteral("The WebP encoder produced an unreadable file."), 500);
    }
    out.outputSize = QSize(w, h);
    const QSize expected = orientationSwapsAxes(orientation) ? storedTarget.transposed() : storedTarget;
    if (out.outputSize != expected) {
        return Error(QStringLiteral("image.encode_failed"),
                     QStringLiteral("The encoded image is %1×%2 instead of %3×%4.")
                         .arg(w).arg(h).arg(expected.width()).arg(expected.height()),
                     500);
    }
    out.exifOrientation = orientation;
    out.name = webpContentName(out.bytes);
    out.mimeType = mimeType(Format::Webp);
    return out;
}

QFuture<Result<ProcessedImage>> ImagePipeline::processAsync(const QByteArray &fileBytes,
                                                            const QString &declaredContentType,
                                                            const PipelineOptions &options, QThreadPool *pool)
{
    return QtConcurrent::run(pool ? pool : QThreadPool::globalInstance(),
                             [fileBytes, declaredContentType, options]() {
                                 return process(fileBytes, declaredContentType, options);
                             });
}

} // namespace deso::image
