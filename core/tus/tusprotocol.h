#pragma once
// The tus 1.0.0 protocol pieces that the client (TusUploader) and the host's
// server (host/tusserver) share: the version, the extensions and checksum
// algorithms, and the parsing and formatting of Upload-Offset, Upload-Length,
// Upload-Metadata and Upload-Checksum. Pure functions over outside bytes, so
// tests/fuzz can drive them. Strict where the protocol is: numbers are read by
// deso::parseDecimal (common/decimal.h), metadata is "key base64" pairs with unique keys.

#include "common/result.h"

#include <QByteArray>
#include <QByteArrayList>
#include <QCryptographicHash>
#include <QMap>

#include <optional>

namespace deso::tus {

inline constexpr char kVersion[] = "1.0.0";
// What the host's server implements, in its Tus-Extension order.
inline constexpr char kServerExtensions[] = "creation,creation-with-upload,expiration,checksum,termination";
// Checksum algorithms the server accepts (Tus-Checksum-Algorithm), and the
// client's order of preference among those a server offers.
inline constexpr char kServerChecksumAlgorithms[] = "sha1,sha256,md5";
inline const QByteArrayList kPreferredChecksumAlgorithms{"sha256", "sha1", "md5", "sha512"};

// "key base64value" pairs, comma-separated; keys unique and without spaces or
// control bytes. Errors carry 400 and a sentence for {"error": ...}.
Result<QMap<QString, QByteArray>> parseUploadMetadata(const QByteArray &header);
QByteArray formatUploadMetadata(const QMap<QString, QByteArray> &pairs);

// A tus checksum algorithm name (case-insensitive) → Qt's algorithm.
std::optional<QCryptographicHash::Algorithm> checksumAlgorithm(QByteArrayView name);
// A comma-separated algorithm list (Tus-Checksum-Algorithm, Tus-Extension) as lower-case names.
QByteArrayList parseList(QByteArrayView header);

struct UploadChecksum {
    QCryptographicHash::Algorithm algorithm = QCryptographicHash::Sha256;
    QByteArray digest; // raw bytes, exactly hashLength(algorithm) long
};
// "<sha1|sha256|md5> <base64 digest>" (algorithm name case-insensitive).
Result<UploadChecksum> parseUploadChecksum(const QByteArray &header);
QByteArray formatUploadChecksum(QByteArrayView algorithmName, const QByteArray &digest);

} // namespace deso::tus
