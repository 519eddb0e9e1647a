#include "image/imageformat.h"

#include <QIODevice>

#include <cstring>

namespace deso::image {

namespace {

Error badHeader(const QString &what)
{
    return Error(QStringLiteral("image.bad_header"),
                 QStringLiteral("The image header is malformed: %1.").arg(what), 400);
}

Error truncatedHeader()
{
    return Error(QStringLiteral("image.truncated"),
                 QStringLiteral("The image ends before its header is complete (the file is truncated)."),
                 400);
}

// A forward-only reader over either a byte array or a device, so that both readHeader()
// overloads share one parser.
class ByteSource {
public:
    explicit ByteSource(const QByteArray &bytes) : m_bytes(&bytes) {}
    explicit ByteSource(QIODevice *device) : m_device(device) {}

    // Exactly n bytes or false.
    bool read(char *out, qint64 n)
    {
        if (m_bytes) {
            if (m_pos + n > m_bytes->size())
                return false;
            std::memcpy(out, m_bytes->constData() + m_pos, size_t(n));
            m_pos += n;
            return true;
        }
        qint64 got = 0;
        while (got < n) {
            const qint64 r = m_device->read(out + got, n - got);
            if (r <= 0) {
                if (r == 0 && m_device->waitForReadyRead(0))
                    continue;
                return false;
            }
            got += r;
        }
        return true;
    }

    bool skip(qint64 n)
    {
        if (m_bytes) {
            if (m_pos + n > m_bytes->size())
                return false;
            m_pos += n;
            return true;
        }
        if (!m_device->isSequential()) {
            const qint64 target = m_device->pos() + n;
            if (target > m_device->size())
                return false;
            return m_device->seek(target);
        }
        char buf[4096];
        while (n > 0) {
            const qint64 chunk = std::min<qint64>(n, sizeof buf);
            if (!read(buf, chunk))
                return false;
            n -= chunk;
        }
        return true;
    }

private:
    const QByteArray *m_bytes = nullptr;
    QIODevice *m_device = nullptr;
    qint64 m_pos = 0;
};

quint16 be16(const uchar *p) { return quint16(p[0] << 8 | p[1]); }
quint32 be32(const uchar *p) { return quint32(p[0]) << 24 | quint32(p[1]) << 16 | quint32(p[2]) << 8 | p[3]; }
quint16 le16(const uchar *p) { return quint16(p[0] | p[1] << 8); }
quint32 le24(const uchar *p) { return quint32(p[0]) | quint32(p[1]) << 8 | quint32(p[2]) << 16; }

Result<ImageHeader> parseJpeg(ByteSource &src)
{
    ImageHeader h;
    h.format = Format::Jpeg;
    // Source positioned after SOI (FF D8).
    uchar m[2];
    for (int guard = 0; guard < 100000; ++guard) {
        if (!src.read(reinterpret_cast<char *>(m), 1))
            return truncatedHeader();
        if (m[0] != 0xFF)
            return badHeader(QStringLiteral("expected a JPEG marker"));
        // Fill bytes: any number of FF before the marker code.
        do {
            if (!src.read(reinterpret_cast<char *>(m + 1), 1))
                return truncatedHeader();
        } while (m[1] == 0xFF);
        const uchar code = m[1];
        if (code == 0x01 || (code >= 0xD0 && code <= 0xD7))
            continue;  // standalone markers carry no length
        if (code == 0xD8)
            continue;
        if (code == 0xD9 || code == 0xDA)
            return badHeader(QStringLiteral("no frame header (SOF) before the image data"));
        uchar lenBytes[2];
        if (!src.read(reinterpret_cast<char *>(lenBytes), 2))
            return truncatedHeader();
        const int len = be16(lenBytes);
        if (len < 2)
            return badHeader(QStringLiteral("a JPEG segment has an impossible length"));
        const bool sof = code >= 0xC0 && code <= 0xCF && code != 0xC4 && code != 0xC8 && code != 0xCC;
        if (!sof) {
            if (!src.skip(len - 2))
                return truncatedHeader();
            continue;
        }
        if (len < 8)
            return badHeader(QStringLiteral("the JPEG frame header is too short"));
        uchar sofBytes[6];
        if (!src.read(reinterpret_cast<char *>(sofBytes), 6))
            return truncatedHeader();
        const int height = be16(sofBytes + 1);
        const int width = be16(sofBytes + 3);
        if (height == 0)
            return badHeader(QStringLiteral("the JPEG declares its height later (DNL), which is not supported"));
        h.size = QSize(width, height);
        h.interlaced = code == 0xC2 || code == 0xC6 || code == 0xCA || code == 0xCE;
        return h;
    }
    return badHeader(QStringLiteral("too many JPEG segments before the frame header"));
}

Result<ImageHeader> parsePng(ByteSource &src)
{
    // Source positioned after the 12 sniffed bytes: 8 signature + IHDR length (4).
    ImageHeader h;
    h.format = Format::Png;
    uchar ihdr[4 + 13];
    if (!src.read(reinterpret_cast<char *>(ihdr), sizeof ihdr))
        return truncatedHeader();
    if (std::memcmp(ihdr, "IHDR", 4) != 0)
        return badHeader(QStringLiteral("the PNG does not start with an IHDR chunk"));
    const quint32 w = be32(ihdr + 4);
    const quint32 hgt = be32(ihdr + 8);
    if (w > 0x7fffffffu || hgt > 0x7fffffffu)
        return badHeader(QStringLiteral("the PNG dimensions are out of range"));
    const int colorType = ihdr[13];
    h.size = QSize(int(w), int(hgt));
    h.hasAlpha = colorType == 4 || colorType == 6;
    h.interlaced = ihdr[16] == 1;
    return h;
}

Result<ImageHeader> parseWebp(ByteSource &src)
{
    // Source positioned after "RIFF" size "WEBP".
    ImageHeader h;
    h.format = Format::Webp;
    uchar chunk[8];
    if (!src.read(reinterpret_cast<char *>(chunk), 8))
        return truncatedHeader();
    const quint32 chunkSize = quint32(chunk[4]) | quint32(chunk[5]) << 8 | quint32(chunk[6]) << 16 | quint32(chunk[7]) << 24;
    if (std::memcmp(chunk, "VP8 ", 4) == 0) {
        uchar f[10];
        if (chunkSize < 10)
            return badHeader(QStringLiteral("the VP8 chunk is too short"));
        if (!src.read(reinterpret_cast<char *>(f), 10))
            return truncatedHeader();
        if (f[3] != 0x9d || f[4] != 0x01 || f[5] != 0x2a)
            return badHeader(QStringLiteral("the VP8 start code is missing"));
        h.size = QSize(le16(f + 6) & 0x3fff, le16(f + 8) & 0x3fff);
        return h;
    }
    if (std::memcmp(chunk, "VP8L", 4) == 0) {
        uchar f[5];
        if (chunkSize < 5)
            return badHeader(QStringLiteral("the VP8L chunk is too short"));
        if (!src.read(reinterpret_cast<char *>(f), 5))
            return truncatedHeader();
        if (f[0] != 0x2f)
            return badHeader(QStringLiteral("the VP8L signature is missing"));
        const quint32 bits = quint32(f[1]) | quint32(f[2]) << 8 | quint32(f[3]) << 16 | quint32(f[4]) << 24;
        h.size = QSize(int(bits & 0x3fff) + 1, int((bits >> 14) & 0x3fff) + 1);
        h.hasAlpha = (bits >> 28) & 1;
        return h;
    }
    if (std::memcmp(chunk, "VP8X", 4) == 0) {
        uchar f[10];
        if (chunkSize < 10)
            return badHeader(QStringLiteral("the VP8X chunk is too short"));
        if (!src.read(reinterpret_cast<char *>(f), 10))
            return truncatedHeader();
        h.hasAlpha = f[0] & 0x10;
        h.animated = f[0] & 0x02;
        h.size = QSize(int(le24(f + 4)) + 1, int(le24(f + 7)) + 1);
        return h;
    }
    return badHeader(QStringLiteral("the WebP has no VP8, VP8L or VP8X chunk first"));
}

Error badMagic()
{
    return Error(QStringLiteral("image.bad_magic"),
                 QStringLiteral("The file is not a JPEG, PNG, WebP or GIF image (its first bytes match none of these formats)."),
                 400);
}

// `head` holds the first 12 bytes (not consumed from `src`).
Result<ImageHeader> parse(const QByteArray &head, ByteSource &src)
{
    const auto format = sniffFormat(head);
    if (!format)
        return badMagic();
    switch (*format) {
    case Format::Jpeg:
        if (!src.skip(2))  // SOI
            return truncatedHeader();
        return parseJpeg(src);
    case Format::Png:
        if (!src.skip(12))  // signature + IHDR length
            return truncatedHeader();
        return parsePng(src);
    case Format::Webp:
        if (!src.skip(12))  // RIFF size WEBP
            return truncatedHeader();
        return parseWebp(src);
    case Format::Gif: {
        ImageHeader h;
        h.format = Format::Gif;
        const auto *p = reinterpret_cast<const uchar *>(head.constData());
        h.size = QSize(le16(p + 6), le16(p + 8));
        return h;
    }
    }
    return badMagic();
}

Error emptyError()
{
    return Error(QStringLiteral("image.empty"), QStringLiteral("The file is empty (0 bytes)."), 400);
}

Result<ImageHeader> shortFile(const QByteArray &head)
{
    if (head.isEmpty())
        return emptyError();
    // Fewer than 12 bytes: a recognisable start is a truncated image, anything else is
    // not an image at all.
    static const char *const starts[] = {"\xFF\xD8\xFF", "\x89PNG\r\n\x1a\n", "GIF87a", "GIF89a", "RIFF"};
    for (const char *s : starts) {
        const QByteArray sig(s);
        const qsizetype n = std::min(sig.size(), head.size());
        if (head.left(n) == sig.left(n))
            return truncatedHeader();
    }
    return badMagic();
}

} // namespace

std::optional<Format> sniffFormat(const QByteArray &head)
{
    const auto *p = reinterpret_cast<const uchar *>(head.constData());
    const qsizetype n = head.size();
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return Format::Jpeg;
    if (n >= 8 && std::memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
        return Format::Png;
    if (n >= 6 && (std::memcmp(p, "GIF87a", 6) == 0 || std::memcmp(p, "GIF89a", 6) == 0))
        return Format::Gif;
    if (n >= 12 && std::memcmp(p, "RIFF", 4) == 0 && std::memcmp(p + 8, "WEBP", 4) == 0)
        return Format::Webp;
    return std::nullopt;
}

QString groupDigits(qint64 n)
{
    QString digits = QString::number(n);
    for (qsizetype i = digits.size() - 3; i > (n < 0 ? 1 : 0); i -= 3)
        digits.insert(i, QLatin1Char(','));
    return digits;
}

QString mimeType(Format format)
{
    switch (format) {
    case Format::Jpeg: return QStringLiteral("image/jpeg");
    case Format::Png: return QStringLiteral("image/png");
    case Format::Webp: return QStringLiteral("image/webp");
    case Format::Gif: return QStringLiteral("image/gif");
    }
    return {};
}

QString formatName(Format format)
{
    switch (format) {
    case Format::Jpeg: return QStringLiteral("jpeg");
    case Format::Png: return QStringLiteral("png");
    case Format::Webp: return QStringLiteral("webp");
    case Format::Gif: return QStringLiteral("gif");
    }
    return {};
}

std::optional<Format> formatFromMimeType(const QString &contentType)
{
    const QString t = contentType.section(QLatin1Char(';'), 0, 0).trimmed().toLower();
    for (Format f : {Format::Jpeg, Format::Png, Format::Webp, Format::Gif}) {
        if (t == mimeType(f))
            return f;
    }
    return std::nullopt;
}

Result<ImageHeader> readHeader(const QByteArray &bytes)
{
    if (bytes.size() < 12)
        return shortFile(bytes);
    ByteSource src(bytes);
    return parse(bytes.left(12), src);
}

Result<ImageHeader> readHeader(QIODevice *device)
{
    if (!device || !device->isReadable())
        return Error(QStringLiteral("image.unreadable"), QStringLiteral("The image file could not be read."), 400);
    QByteArray head = device->peek(12);
    // A sequential device (pipe, socket) may hand the first bytes out in pieces:
    // peek again while it keeps giving more, so a valid image is not "truncated".
    for (int tries = 0; head.size() < 12 && device->isSequential() && tries < 64; ++tries) {
        const QByteArray more = device->peek(12);
        if (more.size() > head.size())
            head = more;
        else if (!device->waitForReadyRead(0))
            break;
    }
    if (head.size() < 12)
        return shortFile(head);
    ByteSource src(device);
    return parse(head, src);
}

Status checkDimensions(const ImageHeader &header)
{
    const int w = header.size.width();
    const int h = header.size.height();
    if (w <= 0 || h <= 0) {
        return Error(QStringLiteral("image.bad_header"),
                     QStringLiteral("The image header declares %1×%2 pixels, which is not a valid size.").arg(w).arg(h),
                     400);
    }
    if (w > kMaxDimension || h > kMaxDimension) {
        return Error(QStringLiteral("image.too_large_dimensions"),
                     QStringLiteral("The image is %1×%2 pixels; images wider or taller than %3 pixels are refused.")
                         .arg(w).arg(h).arg(kMaxDimension),
                     400);
    }
    return {};
}

} // namespace deso::image
