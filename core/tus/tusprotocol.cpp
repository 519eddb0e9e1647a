#include "tus/tusprotocol.h"

#include <QList>

namespace deso::tus {

Result<QMap<QString, QByteArray>> parseUploadMetadata(const QByteArray &header)
{
    QMap<QString, QByteArray> out;
    const Error bad(QStringLiteral("tus.bad_metadata"),
                    QStringLiteral("Upload-Metadata must be comma-separated \"key base64value\" pairs."), 400);
    // The header is stored as sent and echoed on HEAD: control bytes (a CR or LF
    // that trimming would hide around a pair) must never get that far.
    for (char c : header)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return bad;
    if (header.trimmed().isEmpty())
        return out;
    for (const QByteArray &rawPair : header.split(',')) {
        const QByteArray pair = rawPair.trimmed();
        const QList<QByteArray> kv = pair.split(' ');
        if (kv.isEmpty() || kv.size() > 2 || kv[0].isEmpty())
            return bad;
        for (char c : kv[0])
            if (static_cast<unsigned char>(c) <= ' ' || c == ',')
                return bad;
        QByteArray value;
        if (kv.size() == 2) {
            auto decoded = QByteArray::fromBase64Encoding(kv[1], QByteArray::AbortOnBase64DecodingErrors);
            if (!decoded)
                return bad;
            value = *decoded;
        }
        const QString key = QString::fromUtf8(kv[0]);
        if (out.contains(key))
            return bad; // keys must be unique (tus 1.0.0 creation extension)
        out.insert(key, value);
    }
    return out;
}

QByteArray formatUploadMetadata(const QMap<QString, QByteArray> &pairs)
{
    QByteArrayList parts;
    for (auto it = pairs.cbegin(); it != pairs.cend(); ++it) {
        QByteArray part = it.key().toUtf8();
        if (!it.value().isEmpty())
            part += ' ' + it.value().toBase64();
        parts << part;
    }
    return parts.join(',');
}

std::optional<ChecksumAlgorithm> checksumAlgorithm(QByteArrayView name)
{
    const QByteArray lower = name.toByteArray().toLower();
    if (lower == "crc32")
        return ChecksumAlgorithm::Crc32;
    if (lower == "sha1")
        return ChecksumAlgorithm::Sha1;
    if (lower == "sha256")
        return ChecksumAlgorithm::Sha256;
    if (lower == "sha512")
        return ChecksumAlgorithm::Sha512;
    if (lower == "md5")
        return ChecksumAlgorithm::Md5;
    return std::nullopt;
}

int checksumDigestLength(ChecksumAlgorithm algorithm)
{
    switch (algorithm) {
    case ChecksumAlgorithm::Crc32: return 4;
    case ChecksumAlgorithm::Sha1: return 20;
    case ChecksumAlgorithm::Sha256: return 32;
    case ChecksumAlgorithm::Sha512: return 64;
    case ChecksumAlgorithm::Md5: return 16;
    }
    return 0;
}

QByteArrayList parseList(QByteArrayView header)
{
    QByteArrayList items;
    for (const QByteArray &part : header.toByteArray().split(',')) {
        const QByteArray item = part.trimmed().toLower();
        if (!item.isEmpty())
            items << item;
    }
    return items;
}

Result<UploadChecksum> parseUploadChecksum(const QByteArray &header)
{
    const QList<QByteArray> parts = header.split(' ');
    if (parts.size() != 2)
        return Error(QStringLiteral("tus.checksum_format"),
                     QStringLiteral("Upload-Checksum must be \"<algorithm> <base64 digest>\"."), 400);
    const auto algorithm = checksumAlgorithm(parts[0]);
    // The server offers kServerChecksumAlgorithms; sha512 is the client's only.
    if (!algorithm || *algorithm == ChecksumAlgorithm::Sha512)
        return Error(QStringLiteral("tus.checksum_algorithm"),
                     QStringLiteral("Unsupported checksum algorithm; use crc32, sha1, sha256 or md5."), 400);
    UploadChecksum out;
    out.algorithm = *algorithm;
    auto decoded = QByteArray::fromBase64Encoding(parts[1], QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || (*decoded).size() != checksumDigestLength(out.algorithm))
        return Error(QStringLiteral("tus.checksum_digest"),
                     QStringLiteral("The Upload-Checksum digest is not valid base64 of the right length."), 400);
    out.digest = *decoded;
    return out;
}

QByteArray formatUploadChecksum(QByteArrayView algorithmName, const QByteArray &digest)
{
    return algorithmName.toByteArray().toLower() + ' ' + digest.toBase64();
}

} // namespace deso::tus
