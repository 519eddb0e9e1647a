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
#include <QMap>

#include <optional>

namespace deso::tus {

inline constexpr char kVersion[] = "1.0.0";
// What the host's server implements, in its Tus-Extension order.
inline constexpr char kServerExtensions[] = "creation,creation-with-upload,expiration,checksum,termination";
// Upload-Checksum algorithms. A tus checksum guards a PATCH against bytes damaged or
// cut short on the way, not against an attacker (who could send a matching digest
// of anything), so the client prefers crc32 where a server offers it: the CRC-32 of
// zlib and gzip (IEEE 802.3), whose digest is its 4 bytes big-endian, base64-encoded as
// S3's x-amz-checksum-crc32 (and its default since 2025). libdeflate computes it with
// the CPU's carry-less multiply at several GB/s, where SHA-256 on both ends cost more
// CPU than moving the bytes (issue 15). The SHA and MD5 digests stay for servers
// without crc32 and for those who ask for them (--checksum sha256).
enum class ChecksumAlgorithm { Crc32, Sha1, Sha256, Sha512, Md5 };
// Checksum algorithms the server accepts (Tus-Checksum-Algorithm), and the
// client's order of preference among those a server offers.
inline constexpr char kServerChecksumAlgorithms[] = "crc32,sha1,sha256,md5";
inline const QByteArrayList kPreferredChecksumAlgorithms{"crc32", "sha256", "sha1", "md5", "sha512"};

// "key base64value" pairs, comma-separated; keys unique and without spaces or
// control bytes. Errors carry 400 and a sentence for {"error": ...}.
Result<QMap<QString, QByteArray>> parseUploadMetadata(const QByteArray &header);
QByteArray formatUploadMetadata(const QMap<QString, QByteArray> &pairs);

// A tus checksum algorithm name (case-insensitive) → the algorithm.
std::optional<ChecksumAlgorithm> checksumAlgorithm(QByteArrayView name);
// The raw digest's length in bytes (4 for crc32, 20 for sha1, ...).
int checksumDigestLength(ChecksumAlgorithm algorithm);
// A comma-separated algorithm list (Tus-Checksum-Algorithm, Tus-Extension) as lower-case names.
QByteArrayList parseList(QByteArrayView header);

struct UploadChecksum {
    ChecksumAlgorithm algorithm = ChecksumAlgorithm::Sha256;
    QByteArray digest; // raw bytes, exactly checksumDigestLength(algorithm) long
};
// "<crc32|sha1|sha256|md5> <base64 digest>" (algorithm name case-insensitive).
Result<UploadChecksum> parseUploadChecksum(const QByteArray &header);
QByteArray formatUploadChecksum(QByteArrayView algorithmName, const QByteArray &digest);

} // namespace deso::tus
