#pragma once
// Helpers shared by the core/image tests: encoding test images with Qt, building
// EXIF-carrying JPEG/PNG files by hand, and comparing pixels.
#include <QBuffer>
#include <QFile>
#include <QImage>
#include <QImageWriter>
#include <QtEndian>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>

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

// Fills one row of RGB pixels (w × 3 bytes) for row y.
using RowFill = std::function<void(int y, uchar *rgb)>;

// A w×h JPEG written row by row with libjpeg (a 16,383² RGB bitmap would be 805 MB);
// progressive: jpeg_simple_progression. libjpeg's default error_exit ends the test on
// failure. The quantized coefficients are the same either way, so a progressive file
// decodes to exactly the pixels of its baseline twin.
inline bool writeJpegRows(const QString &path, int w, int h, bool progressive, int quality, const RowFill &fill)
{
    FILE *f = std::fopen(QFile::encodeName(path).constData(), "wb");
    if (!f)
        return false;
    jpeg_compress_struct cinfo {};
    jpeg_error_mgr err {};
    cinfo.err = jpeg_std_error(&err);
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, f);
    cinfo.image_width = JDIMENSION(w);
    cinfo.image_height = JDIMENSION(h);
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    if (progressive)
        jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    std::vector<uchar> row(size_t(w) * 3);
    while (cinfo.next_scanline < cinfo.image_height) {
        fill(int(cinfo.next_scanline), row.data());
        JSAMPROW rows[1] = {row.data()};
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    return std::fclose(f) == 0;
}

// A w×h RGB PNG written row by row with libpng, Adam7-interlaced when asked (libpng
// then takes every row once per pass and keeps what each pass needs).
inline bool writePngRows(const QString &path, int w, int h, bool interlaced, const RowFill &fill)
{
    FILE *f = std::fopen(QFile::encodeName(path).constData(), "wb");
    if (!f)
        return false;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        std::fclose(f);
        return false;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, png_uint_32(w), png_uint_32(h), 8, PNG_COLOR_TYPE_RGB,
                 interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    const int passes = interlaced ? png_set_interlace_handling(png) : 1;
    std::vector<uchar> row(size_t(w) * 3);
    for (int p = 0; p < passes; ++p) {
        for (int y = 0; y < h; ++y) {
            fill(y, row.data());
            png_write_row(png, row.data());
        }
    }
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return std::fclose(f) == 0;
}

// `pixels` (RGB, or RGBA when `alpha`) encoded with libwebp's advanced API and `config`;
// empty on failure.
inline QByteArray encodeWebpPixels(const WebPConfig &config, int w, int h, const uchar *pixels, int stride, bool alpha)
{
    WebPPicture pic;
    if (!WebPPictureInit(&pic))
        return {};
    pic.width = w;
    pic.height = h;
    pic.use_argb = 1;
    if (!(alpha ? WebPPictureImportRGBA(&pic, pixels, stride) : WebPPictureImportRGB(&pic, pixels, stride)))
        return {};
    WebPMemoryWriter writer;
    WebPMemoryWriterInit(&writer);
    pic.writer = WebPMemoryWrite;
    pic.custom_ptr = &writer;
    const bool ok = WebPEncode(&config, &pic);
    WebPPictureFree(&pic);
    QByteArray out = ok ? QByteArray(reinterpret_cast<const char *>(writer.mem), qsizetype(writer.size)) : QByteArray();
    WebPMemoryWriterClear(&writer);
    return out;
}

} // namespace imagetest
