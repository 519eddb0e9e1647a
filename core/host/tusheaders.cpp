#include "host/tusheaders.h"

#include <QList>

namespace deso::host {

bool parseTusNumber(const QByteArray &text, qint64 *out)
{
    if (text.isEmpty() || text.size() > 18)
        return false;
    for (char c : text)
        if (c < '0' || c > '9')
            return false;
    bool ok = false;
    const qint64 value = text.toLongLong(&ok);
    if (!ok)
        return false;
    *out = value;
    return true;
}

Result<UploadChecksum> parseUploadChecksum(const QByteArray &header)
{
    const QList<QByteArray> parts = header.split(' ');
    if (parts.size() != 2)
        return Error(QStringLiteral("tus.checksum_format"),
                     QStringLiteral("Upload-Checksum must be \"<algorithm> <base64 digest>\"."), 400);
    UploadChecksum out;
    const QByteArray name = parts[0].toLower();
    if (name == "sha1")
        out.algorithm = QCryptographicHash::Sha1;
    else if (name == "sha256")
        out.algorithm = QCryptographicHash::Sha256;
    else if (name == "md5")
        out.algorithm = QCryptographicHash::Md5;
    else
        return Error(QStringLiteral("tus.checksum_algorithm"),
                     QStringLiteral("Unsupported checksum algorithm; use sha1, sha256 or md5."), 400);
    auto decoded = QByteArray::fromBase64Encoding(parts[1], QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || (*decoded).size() != QCryptographicHash::hashLength(out.algorithm))
        return Error(QStringLiteral("tus.checksum_digest"),
                     QStringLiteral("The Upload-Checksum digest is not valid base64 of the right length."), 400);
    out.digest = *decoded;
    return out;
}

} // namespace deso::host
