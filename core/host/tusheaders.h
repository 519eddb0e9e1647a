#pragma once
// Parsing of the tus request headers that carry numbers and digests
// (Upload-Offset, Upload-Length, Content-Length, Upload-Checksum). Pure
// functions over outside bytes, kept apart so tests/fuzz can drive them.
// Upload-Metadata is parsed by parseUploadMetadata() in uploadstore.h.

#include "common/result.h"

#include <QByteArray>
#include <QCryptographicHash>

namespace deso::host {

// A non-negative decimal of 1 to 18 digits: no sign, no spaces, no suffix, so
// it always fits a qint64. False (and *out untouched) for anything else.
bool parseTusNumber(const QByteArray &text, qint64 *out);

struct UploadChecksum {
    QCryptographicHash::Algorithm algorithm = QCryptographicHash::Sha256;
    QByteArray digest; // raw bytes, exactly hashLength(algorithm) long
};

// "<sha1|sha256|md5> <base64 digest>" (algorithm name case-insensitive).
// Errors carry 400 and a sentence for {"error": ...}.
Result<UploadChecksum> parseUploadChecksum(const QByteArray &header);

} // namespace deso::host
