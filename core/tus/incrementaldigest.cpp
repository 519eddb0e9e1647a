#include "tus/incrementaldigest.h"

#include <openssl/evp.h>

namespace deso::tus {

namespace {

Error digestError(const char *what)
{
    return Error(QStringLiteral("tus.digest"), QStringLiteral("The checksum could not be computed (%1).").arg(QLatin1String(what)));
}

const EVP_MD *evpAlgorithm(QCryptographicHash::Algorithm algorithm)
{
    switch (algorithm) {
    case QCryptographicHash::Sha1: return EVP_sha1();
    case QCryptographicHash::Sha256: return EVP_sha256();
    case QCryptographicHash::Sha512: return EVP_sha512();
    case QCryptographicHash::Md5: return EVP_md5();
    default: return nullptr;
    }
}

} // namespace

struct IncrementalDigest::Context {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
};

Result<IncrementalDigest> IncrementalDigest::create(QCryptographicHash::Algorithm algorithm)
{
    const EVP_MD *md = evpAlgorithm(algorithm);
    if (!md)
        return digestError("unsupported algorithm");
    auto context = std::make_unique<Context>();
    if (!context->ctx || EVP_DigestInit_ex(context->ctx, md, nullptr) != 1)
        return digestError("initialisation failed");
    return IncrementalDigest(std::move(context));
}

IncrementalDigest::IncrementalDigest(std::unique_ptr<Context> context) : m_context(std::move(context)) {}
IncrementalDigest::IncrementalDigest(IncrementalDigest &&) noexcept = default;
IncrementalDigest &IncrementalDigest::operator=(IncrementalDigest &&) noexcept = default;
IncrementalDigest::~IncrementalDigest() = default;

Status IncrementalDigest::addData(QByteArrayView data)
{
    if (!m_context || EVP_DigestUpdate(m_context->ctx, data.data(), size_t(data.size())) != 1)
        return digestError("update failed");
    return {};
}

Result<QByteArray> IncrementalDigest::result()
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!m_context || EVP_DigestFinal_ex(m_context->ctx, digest, &length) != 1)
        return digestError("finalisation failed");
    m_context.reset();
    return QByteArray(reinterpret_cast<const char *>(digest), qsizetype(length));
}

} // namespace deso::tus
