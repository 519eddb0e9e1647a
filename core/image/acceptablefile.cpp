#include "image/acceptablefile.h"

#include "image/exiforientation.h"
#include "image/imagepipeline.h"
#include "image/scaleddecoder.h"
#include "image/webpencoder.h"

#include <QBuffer>
#include <QFile>
#include <QFileInfo>
#include <QImageWriter>
#include <QLocale>
#include <QStringList>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

namespace deso::image {

namespace {

QString sizeText(QSize s) { return QStringLiteral("%1×%2").arg(s.width()).arg(s.height()); }

QString megabytes(qint64 bytes)
{
    return QStringLiteral("%1 MB").arg(QLocale::c().toString(double(bytes) / 1e6, 'f', 1));
}

Result<QByteArray> encodeWithQt(const QImage &image, const char *format, int quality)
{
    QByteArray out;
    QBuffer buffer(&out);
    buffer.open(QIODevice::WriteOnly);
    QImageWriter writer(&buffer, format);
    if (quality > 0)
        writer.setQuality(quality);
    writer.setOptimizedWrite(true);
    if (!writer.write(image)) {
        return Error(QStringLiteral("image.encode_failed"),
                     QStringLiteral("Encoding the image as %1 failed: %2.")
                         .arg(QString::fromLatin1(format).toUpper(), writer.errorString()),
                     500);
    }
    return out;
}

QString withExtension(const QString &fileName, const QString &ext)
{
    const QFileInfo fi(fileName.isEmpty() ? QStringLiteral("image") : fileName);
    const QString base = fi.completeBaseName().isEmpty() ? QStringLiteral("image") : fi.completeBaseName();
    return base + QLatin1Char('.') + ext;
}

} // namespace

Result<AcceptableFile> makeAcceptable(const QByteArray &fileBytes, const QString &fileName,
                                      const AcceptableOptions &options)
{
    auto header = readHeader(fileBytes);
    if (!header.ok())
        return header.error();
    const QSize stored = header->size;
    if (stored.isEmpty() || stored.width() > options.maxInputDimension || stored.height() > options.maxInputDimension) {
        return Error(QStringLiteral("image.too_large_dimensions"),
                     QStringLiteral("The image is %1 pixels; this app resizes images up to %2 pixels a side.")
                         .arg(sizeText(stored)).arg(options.maxInputDimension),
                     400);
    }
    const int orientation = exifOrientation(fileBytes, header->format);
    const QSize displayed = orientationSwapsAxes(orientation) ? stored.transposed() : stored;
    const qint64 originalBytes = fileBytes.size();
    const bool tooBig = originalBytes > options.maxBytes;
    const bool tooLong = std::max(stored.width(), stored.height()) > options.maxLongSide;
    const bool overGuard = stored.width() > kMaxDimension || stored.height() > kMaxDimension;

    AcceptableFile out;
    out.originalSize = displayed;
    out.originalBytes = originalBytes;

    if (header->format == Format::Gif) {
        if (tooBig || overGuard) {
            return Error(QStringLiteral("image.gif_not_acceptable"),
                         QStringLiteral("This GIF (%1, %2) cannot be made acceptable: the node stores GIFs unchanged "
                                        "and accepts at most %3 bytes and %4 pixels a side, and shrinking it would "
                                        "lose the animation.")
                             .arg(megabytes(originalBytes), sizeText(stored), groupDigits(options.maxBytes))
                             .arg(kMaxDimension),
                         400);
        }
        if (Status s = ImagePipeline::validateGif(fileBytes, *header); !s.ok())
            return s.error();
        out.bytes = fileBytes;
        out.format = Format::Gif;
        out.mimeType = mimeType(Format::Gif);
        out.fileName = withExtension(fileName, QStringLiteral("gif"));
        out.size = displayed;
        out.unchanged = true;
        out.description = QStringLiteral("Already acceptable (GIF, %1, %2): sent unchanged, animation kept.")
                              .arg(sizeText(displayed), megabytes(originalBytes));
        return out;
    }

    if (!tooBig && !tooLong && !overGuard) {
        out.bytes = fileBytes;
        out.format = header->format;
        out.mimeType = mimeType(header->format);
        const QString ext = header->format == Format::Jpeg ? QStringLiteral("jpg") : formatName(header->format);
        out.fileName = withExtension(fileName, ext);
        out.size = displayed;
        out.unchanged = true;
        out.description = QStringLiteral("Already acceptable (%1, %2, %3): sent unchanged.")
                              .arg(formatName(header->format).toUpper(), sizeText(displayed), megabytes(originalBytes));
        return out;
    }

    // Decode straight to the node's target size (shrink-on-load, bounded memory).
    const QSize storedTarget = ImagePipeline::targetSize(stored, options.maxLongSide);
    auto decoded = decodeToImage(fileBytes, *header, storedTarget);
    if (!decoded.ok())
        return decoded.error();
    const QImage image = applyOrientation(std::move(decoded).value(), orientation);
    const bool alpha = image.hasAlphaChannel();

    QStringList why;
    if (tooLong)
        why << QStringLiteral("its longer side was %1 px (the node takes at most %2)")
                   .arg(std::max(stored.width(), stored.height())).arg(options.maxLongSide);
    if (tooBig)
        why << QStringLiteral("it was %1 bytes (the node takes at most %2)")
                   .arg(groupDigits(originalBytes), groupDigits(options.maxBytes));

    // Highest quality that fits: lossless PNG for images with transparency when it fits,
    // otherwise JPEG (opaque) or lossy WebP with alpha, stepping quality down.
    Result<QByteArray> encoded = QByteArray();
    Format format = alpha ? Format::Png : Format::Jpeg;
    int quality = 0;
    bool fits = false;
    if (alpha) {
        encoded = encodeWithQt(image, "png", 0);
        if (!encoded.ok())
            return encoded.error();
        fits = encoded->size() <= options.maxBytes;
        if (!fits)
            format = Format::Webp;
    }
    for (int q = options.bestQuality; !fits && q >= options.worstQuality; q -= 5) {
        encoded = format == Format::Webp ? encodeWebp(image, WebpEncodeSettings {q, 4, true})
                                         : encodeWithQt(image, "jpeg", q);
        if (!encoded.ok())
            return encoded.error();
        quality = q;
        fits = encoded->size() <= options.maxBytes;
    }
    if (!fits) {
        return Error(QStringLiteral("image.cannot_fit"),
                     QStringLiteral("Even at quality %1 the %2 image takes %3 bytes, more than the %4 the node "
                                    "accepts.")
                         .arg(options.worstQuality).arg(sizeText(image.size()), groupDigits(encoded->size()),
                                                        groupDigits(options.maxBytes)),
                     400);
    }

    out.bytes = std::move(encoded).value();
    out.format = format;
    out.mimeType = mimeType(format);
    out.fileName = withExtension(fileName, format == Format::Jpeg ? QStringLiteral("jpg") : formatName(format));
    out.size = image.size();
    out.quality = quality;
    const QString what = image.size() != displayed
        ? QStringLiteral("Scaled from %1 to %2").arg(sizeText(displayed), sizeText(image.size()))
        : QStringLiteral("Kept at %1").arg(sizeText(image.size()));
    const QString how = quality > 0 ? QStringLiteral("%1 (quality %2)").arg(formatName(format).toUpper()).arg(quality)
                                    : QStringLiteral("%1 (lossless)").arg(formatName(format).toUpper());
    out.description = QStringLiteral("%1 and re-encoded as %2 because %3: %4 (was %5)%6%7.")
                          .arg(what, how, why.join(QStringLiteral(" and ")), megabytes(out.bytes.size()),
                               megabytes(originalBytes),
                               orientation != 1 ? QStringLiteral("; EXIF orientation applied, metadata removed")
                                                : QStringLiteral("; metadata removed"),
                               header->animated ? QStringLiteral("; first frame only, as the node stores animated WebPs")
                                                : QString());
    return out;
}

Result<AcceptableFile> makeAcceptable(const QString &path, const AcceptableOptions &options)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Error(QStringLiteral("image.unreadable"),
                     QStringLiteral("The file %1 could not be read: %2.").arg(path, file.errorString()), 400);
    }
    if (file.size() == 0)
        return Error(QStringLiteral("image.empty"), QStringLiteral("The file %1 is empty (0 bytes).").arg(path), 400);
    const QString name = QFileInfo(path).fileName();
    // Mapped so a 200 MB PNG does not have to sit in RAM to be shrunk.
    uchar *map = file.map(0, file.size());
    if (!map)
        return makeAcceptable(file.readAll(), name, options);
    const QByteArray view = QByteArray::fromRawData(reinterpret_cast<const char *>(map), qsizetype(file.size()));
    auto result = makeAcceptable(view, name, options);
    if (result.ok() && result->unchanged)
        result->bytes = QByteArray(result->bytes.constData(), result->bytes.size());  // detach from the mapping
    file.unmap(map);
    return result;
}

QFuture<Result<AcceptableFile>> makeAcceptableAsync(const QString &path, const AcceptableOptions &options,
                                                    QThreadPool *pool)
{
    return QtConcurrent::run(pool ? pool : QThreadPool::globalInstance(),
                             [path, options]() { return makeAcceptable(path, options); });
}

} // namespace deso::image
