#pragma once
// An incremental Upload-Checksum digest: CRC-32 computed with libdeflate (carry-less
// multiply, several GB/s), SHA-1, SHA-256, SHA-512 and MD5 with OpenSSL's libcrypto
// (the CPU's SHA extensions; several times faster than QCryptographicHash in Qt 6.4).
// The tus client and the host's server hash every uploaded byte, so this decides
// whether checksums cost throughput at loopback speeds.

#include "common/result.h"
#include "tus/tusprotocol.h"

#include <QByteArray>
#include <QByteArrayView>

#include <memory>

namespace deso::tus {

class IncrementalDigest {
public:
    // Fails only when libcrypto cannot set the algorithm up (e.g. MD5 disabled by policy).
    static Result<IncrementalDigest> create(ChecksumAlgorithm algorithm);

    IncrementalDigest(IncrementalDigest &&) noexcept;
    IncrementalDigest &operator=(IncrementalDigest &&) noexcept;
    ~IncrementalDigest();

    Status addData(QByteArrayView data);
    // Adds `length` bytes of the open file `fd` from `offset`, read in large pieces into
    // a buffer kept for the next call (pread: the file offset is untouched). An error
    // (code tus.file_unreadable) when the file fails or ends before the range does.
    Status addFileRange(int fd, qint64 offset, qint64 length);
    // The raw digest (CRC-32: 4 bytes, big-endian); the object is spent afterwards (create a new one for more data).
    Result<QByteArray> result();

private:
    struct Context;
    explicit IncrementalDigest(std::unique_ptr<Context> context);
    std::unique_ptr<Context> m_context;
};

} // namespace deso::tus
