#include "image/thumbnailer.h"

#include "image/exiforientation.h"
#include "image/imageformat.h"
#include "image/scaleddecoder.h"

#include <QBuffer>
#include <QFile>
#include <QImageReader>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <cmath>

namespace deso::image {

namespace {

Error unreadable(const QString &path, const QString &why)
{
    return Error(QStringLiteral("image.unreadable"),
                 QStringLiteral("The file %1 could not be read: %2.").arg(path, why), 400);
}

Result<QImage> readWithQt(const QByteArray &bytes, const char *format, QSize storedSize)
{
    QBuffer buffer;
    buffer.setData(bytes);
    buffer.open(QIODevice::ReadOnly);
    QImageReader reader(&buffer, format);
    reader.setAllocationLimit(kThumbnailAllocationLimitMB);
    reader.setAutoTransform(false);  // orientation is applied by the caller, once
    reader.setScaledSize(storedSize);
    QImage image;
    if (!reader.read(&image) || image.isNull()) {
        return Error(QStringLiteral("image.corrupt"),
                     QStringLiteral("The image could not be decoded for a preview: %1.").arg(reader.errorString()), 400);
    }
    return image;
}

} // namespace

QSize fitWithin(QSize source, QSize bound)
{
    if (source.isEmpty() || bound.isEmpty())
        return QSize(1, 1);
    if (source.width() <= bound.width() && source.height() <= bound.height())
        return source;
    const double s = std::min(double(bound.width()) / source.width(), double(bound.height()) / source.height());
    return QSize(std::max(1, int(std::floor(source.width() * s))), std::max(1, int(std::floor(source.height() * s))));
}

Result<QImage> makeThumbnail(const QByteArray &fileBytes, QSize bound)
{
    auto header = readHeader(fileBytes);
    if (!header.ok())
        return header.error();
    if (Status s = checkDimensions(*header); !s.ok())
        return s.error();
    const int orientation = exifOrientation(fileBytes, header->format);
    const bool swap = orientationSwapsAxes(orientation);
    const QSize storedBound = swap ? bound.transposed() : bound;
    const QSize storedSize = fitWithin(header->size, storedBound);

    Result<QImage> decoded = QImage();
    switch (header->format) {
    case Format::Gif:
        decoded = readWithQt(fileBytes, "gif", storedSize);
        break;
    case Format::Jpeg:  // libjpeg DCT scaling (shrink-on-load), strict about truncation
    case Format::Png:
    case Format::Webp:
        decoded = decodeToImage(fileBytes, *header, storedSize, ResampleKernel::Bicubic);
        break;
    }
    if (!decoded.ok())
        return decoded.error();
    return applyOrientation(std::move(decoded).value(), orientation);
}

Result<QImage> makeThumbnail(const QString &path, QSize bound)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return unreadable(path, file.errorString());
    if (file.size() == 0)
        return Error(QStringLiteral("image.empty"), QStringLiteral("The file %1 is empty (0 bytes).").arg(path), 400);
    // Mapped, not read: a large file costs address space, not RAM, and only the pages
    // the decoder touches are loaded.
    uchar *map = file.map(0, file.size());
    if (!map) {
        const QByteArray all = file.readAll();
        return makeThumbnail(all, bound);
    }
    const QByteArray bytes = QByteArray::fromRawData(reinterpret_cast<const char *>(map), qsizetype(file.size()));
    auto result = makeThumbnail(bytes, bound);
    file.unmap(map);
    return result;
}

QFuture<Result<QImage>> makeThumbnailAsync(const QString &path, QSize bound, QThreadPool *pool)
{
    return QtConcurrent::run(pool ? pool : QThreadPool::globalInstance(),
                             [path, bound]() { return makeThumbnail(path, bound); });
}

} // namespace deso::image
