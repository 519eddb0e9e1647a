#pragma once
// Helpers shared by the core/image tests: encoding test images with Qt, building
// EXIF-carrying JPEG/PNG files by hand, and comparing pixels.
#include <QBuffer>
#include <QImage>
#include <QImageWriter>
#include <QtEndian>

#include <cstdlib>

namespace imagetest {

inline QByteArray encode(const QImage &img, const char *fmt, int quality = -1, bool progressive = false)
{
    QByteArray out;
    QBuffer buf(&out);
    buf.open(QIODevice::WriteOnly);
    QImageWriter w(&buf, fmt);
    w.setQuality(quality);
    if (progressive)
        w.setProgressiveScanWrite(true);
    if (!w.write(img))
        qFatal("encode failed: %s", qPrintable(w.errorString()));
    return out;
}

inline quint32 crc32(const QByteArray &data)
{
    quint32 c = 0xffffffffu;
    for (uchar b : data) {
        c ^= b;
        for (int k = 0; k < 8; ++k)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

inline QByteArray be32(quint32 v)
{
    QByteArray b(4, 0);
    qToBigEndian(v, b.data());
    return b;
}

inline QByteArray pngChunk(const QByteArray &type, const QByteArray &data)
{
    return be32(quint32(data.size())) + type + data + be32(crc32(type + data));
}

// TIFF payload with just the orientation tag (big-endian, as many cameras write it).
inline QByteArray tiffOrientation(int orientation)
{
    QByteArray t("MM\0*", 4);
    t += be32(8);
    t += QByteArray("\x00\x01", 2);                  // one entry
    t += QByteArray("\x01\x12\x00\x03", 4);          // tag 0x0112, SHORT
    t += be32(1);                                    // count
    t += char(0);
    t += char(orientation);
    t += QByteArray(2, '\0');
    t += be32(0);  // no next IFD
    return t;
}

inline QByteArray jpegSegment(uchar marker, const QByteArray &body)
{
    QByteArray s;
    s += char(0xFF);
    s += char(marker);
    const int len = int(body.size()) + 2;
    s += char(len >> 8);
    s += char(len & 0xff);
    return s + body;
}

inline QByteArray jpegWithSegments(const QByteArray &jpeg, const QByteArray &segments)
{
    return jpeg.left(2) + segments + jpeg.mid(2);
}

inline QByteArray jpegWithExif(const QByteArray &jpeg, int orientation)
{
    return jpegWithSegments(jpeg, jpegSegment(0xE1, QByteArray("Exif\0\0", 6) + tiffOrientation(orientation)));
}

inline QByteArray pngWithChunkAfterIhdr(const QByteArray &png, const QByteArray &chunk)
{
    return png.left(33) + chunk + png.mid(33);
}

// Mean absolute difference per channel between two same-size images.
inline double meanAbsDiff(const QImage &a, const QImage &b)
{
    const QImage x = a.convertToFormat(QImage::Format_RGB888);
    const QImage y = b.convertToFormat(QImage::Format_RGB888);
    if (x.size() != y.size())
        return 1e9;
    double sum = 0;
    for (int r = 0; r < x.height(); ++r) {
        const uchar *p = x.constScanLine(r), *q = y.constScanLine(r);
        for (int i = 0; i < x.width() * 3; ++i)
            sum += std::abs(int(p[i]) - int(q[i]));
    }
    return sum / (double(x.width()) * x.height() * 3);
}

} // namespace imagetest
