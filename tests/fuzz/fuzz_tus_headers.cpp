// The tus headers client and host parse from outside bytes (tus/tusprotocol.h):
// Upload-Offset, Upload-Length and Content-Length (deso::parseDecimal), Upload-Metadata
// (parseUploadMetadata) and Upload-Checksum (parseUploadChecksum). The input is
// fed whole to each parser, and split at '\n' into one value per header.
// Properties: numbers round-trip and fit; metadata round-trips through its own
// encoding and never holds bytes that could split the HEAD response that echoes it;
// a checksum's digest has exactly its algorithm's length.
#include "fuzzcheck.h"
#include "common/decimal.h"
#include "tus/tusprotocol.h"

#include <cstdint>

using namespace deso::tus;

static void checkNumber(const QByteArray &text)
{
    const auto parsed = deso::parseDecimal(text);
    if (!parsed)
        return;
    const qint64 value = *parsed;
    FUZZ_CHECK(value >= 0);
    FUZZ_CHECK(text.size() <= 18);
    QByteArray canonical = text;
    while (canonical.size() > 1 && canonical.startsWith('0'))
        canonical.remove(0, 1);
    FUZZ_CHECK(QByteArray::number(value) == canonical);
}

static void checkMetadata(const QByteArray &header)
{
    const auto parsed = parseUploadMetadata(header);
    if (!parsed.ok()) {
        FUZZ_CHECK(parsed.error().httpStatus == 400);
        return;
    }
    // The host stores the header as sent and echoes it on HEAD.
    for (char c : header)
        FUZZ_CHECK(c != '\r' && c != '\n' && c != '\0');
    for (auto it = parsed->cbegin(); it != parsed->cend(); ++it)
        FUZZ_CHECK(!it.key().isEmpty());
    // What the client sends (formatUploadMetadata) is what the host reads back.
    const auto again = parseUploadMetadata(formatUploadMetadata(parsed.value()));
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again.value() == parsed.value());
}

static void checkChecksum(const QByteArray &header)
{
    const auto parsed = parseUploadChecksum(header);
    if (!parsed.ok()) {
        FUZZ_CHECK(parsed.error().httpStatus == 400);
        return;
    }
    FUZZ_CHECK(parsed->digest.size() == checksumDigestLength(parsed->algorithm));
    const QByteArray name = header.left(header.indexOf(' ')).toLower();
    FUZZ_CHECK(name == "crc32" || name == "sha1" || name == "sha256" || name == "md5");
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    checkNumber(bytes);
    checkMetadata(bytes);
    checkChecksum(bytes);
    const QList<QByteArray> fields = bytes.split('\n');
    if (fields.size() >= 2) {
        checkNumber(fields.value(0));  // Upload-Offset
        checkNumber(fields.value(1));  // Upload-Length
        checkMetadata(fields.value(2));
        checkChecksum(fields.value(3));
    }
    return 0;
}
