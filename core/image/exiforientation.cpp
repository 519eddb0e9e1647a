#include "image/exiforientation.h"

#include <QTransform>

#include <cstring>

namespace deso::image {

namespace {

quint16 rd16(const uchar *p, bool le) { return le ? quint16(p[0] | p[1] << 8) : quint16(p[0] << 8 | p[1]); }
quint32 rd32(const uchar *p, bool le)
{
    return le ? quint32(p[0]) | quint32(p[1]) << 8 | quint32(p[2]) << 16 | quint32(p[3]) << 24
              : quint32(p[0]) << 24 | quint32(p[1]) << 16 | quint32(p[2]) << 8 | quint32(p[3]);
}
quint32 be32(const uchar *p) { return rd32(p, false); }
quint32 le32(const uchar *p) { return rd32(p, true); }

int jpegOrientation(const uchar *p, qsizetype n)
{
    qsizetype i = 2;  // after SOI
    while (i + 4 <= n) {
        if (p[i] != 0xFF)
            return 1;
        const uchar code = p[i + 1];
        if (code == 0xFF) {
            ++i;
            continue;
        }
        if (code == 0xD8 || code == 0x01 || (code >= 0xD0 && code <= 0xD7)) {
            i += 2;
            continue;
        }
        if (code == 0xDA || code == 0xD9)
            return 1;  // image data starts: EXIF comes before it
        const qsizetype len = p[i + 2] << 8 | p[i + 3];
        if (len < 2 || i + 2 + len > n)
            return 1;
        if (code == 0xE1 && len >= 2 + 6 + 8 && std::memcmp(p + i + 4, "Exif\0\0", 6) == 0)
            return orientationFromTiff(p + i + 10, len - 8);
        i += 2 + len;
    }
    return 1;
}

// PNG eXIf and WebP EXIF chunks hold a TIFF structure; some writers keep the
// JPEG-style "Exif\0\0" prefix in front of it. Accept both.
int orientationFromExifChunk(const uchar *d, qsizetype len)
{
    if (len >= 6 && std::memcmp(d, "Exif\0\0", 6) == 0)
        return orientationFromTiff(d + 6, len - 6);
    return orientationFromTiff(d, len);
}

int pngOrientation(const uchar *p, qsizetype n)
{
    qsizetype i = 8;
    while (i + 12 <= n) {
        const quint32 len = be32(p + i);
        if (len > quint32(n - i - 12))
            return 1;
        const uchar *type = p + i + 4;
        if (std::memcmp(type, "eXIf", 4) == 0) {
            return orientationFromExifChunk(p + i + 8, len);
        }
        if (std::memcmp(type, "IDAT", 4) == 0 || std::memcmp(type, "IEND", 4) == 0)
            return 1;  // eXIf must precede IDAT to be honoured (PNG 1.5 extensions)
        i += 12 + qsizetype(len);
    }
    return 1;
}

int webpOrientation(const uchar *p, qsizetype n)
{
    qsizetype i = 12;
    while (i + 8 <= n) {
        const quint32 len = le32(p + i + 4);
        if (len > quint32(n - i - 8))
            return 1;
        if (std::memcmp(p + i, "EXIF", 4) == 0) {
            return orientationFromExifChunk(p + i + 8, len);
        }
        i += 8 + qsizetype(len) + (len & 1);  // RIFF chunks are padded to even sizes
    }
    return 1;
}

} // namespace

int orientationFromTiff(const uchar *d, qsizetype n)
{
    if (!d || n < 8)
        return 1;
    bool le;
    if (d[0] == 'I' && d[1] == 'I')
        le = true;
    else if (d[0] == 'M' && d[1] == 'M')
        le = false;
    else
        return 1;
    if (rd16(d + 2, le) != 42)
        return 1;
    const quint32 ifd = rd32(d + 4, le);
    if (ifd < 8 || qsizetype(ifd) + 2 > n)
        return 1;
    const int count = rd16(d + ifd, le);
    for (int k = 0; k < count; ++k) {
        const qsizetype e = qsizetype(ifd) + 2 + qsizetype(k) * 12;
        if (e + 12 > n)
            return 1;
        if (rd16(d + e, le) != 0x0112)
            continue;
        const int type = rd16(d + e + 2, le);
        int value = 0;
        if (type == 3)  // SHORT, stored left-justified in the 4-byte value field
            value = rd16(d + e + 8, le);
        else if (type == 4)  // LONG (seen from some writers)
            value = int(rd32(d + e + 8, le));
        return (value >= 1 && value <= 8) ? value : 1;
    }
    return 1;
}

int exifOrientation(const QByteArray &file, Format format)
{
    const auto *p = reinterpret_cast<const uchar *>(file.constData());
    const qsizetype n = file.size();
    switch (format) {
    case Format::Jpeg: return jpegOrientation(p, n);
    case Format::Png: return pngOrientation(p, n);
    case Format::Webp: return webpOrientation(p, n);
    case Format::Gif: return 1;
    }
    return 1;
}

QImage applyOrientation(QImage image, int orientation)
{
    // Same mapping as Qt's QImageIOHandler::Transformations for EXIF values.
    switch (orientation) {
    case 2: return std::move(image).mirrored(true, false);
    case 3: return std::move(image).mirrored(true, true);
    case 4: return std::move(image).mirrored(false, true);
    case 5: return std::move(image).mirrored(false, true).transformed(QTransform().rotate(90));
    case 6: return image.transformed(QTransform().rotate(90));
    case 7: return std::move(image).mirrored(true, false).transformed(QTransform().rotate(90));
    case 8: return image.transformed(QTransform().rotate(270));
    default: return image;
    }
}

} // namespace deso::image
