#pragma once
// An incremental message digest (SHA-1, SHA-256, SHA-512, MD5) computed with
// OpenSSL's libcrypto. The tus client and the host's server hash every uploaded
// byte for Upload-Checksum; libcrypto uses the CPU's SHA extensions and is several
// times faster than QCryptographicHash in Qt 6.4, which decides whether checksums
// cost throughput at loopback speeds.

#include "common/result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QCryptographicHash>

#include <memory>

namespace deso::tus {

class IncrementalDigest {
public:
    // Fails only when libcrypto cannot set the algorithm up (e.g. MD5 disabled by policy).
    static Result<IncrementalDigest> create(QCryptographicHash::Algorithm algorithm);

    IncrementalDigest(IncrementalDigest &&) noexcept;
    IncrementalDigest &operator=(IncrementalDigest &&) noexcept;
    ~IncrementalDigest();

    Status addData(QByteArrayView data);
    // The raw digest; the object is spent afterwards (create a new one for more data).
    Result<QByteArray> result();

private:
    struct Context;
    explicit IncrementalDigest(std::unique_ptr<Context> context);
    std::unique_ptr<Context> m_context;
};

} // namespace deso::tus
