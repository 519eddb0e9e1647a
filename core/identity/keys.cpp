#include "identity/keys.h"

#include <QRandomGenerator>

#include <secp256k1.h>

#include <cstring>

namespace deso::identity {

namespace {

constexpr int kSecretSize = 32;
constexpr int kCompressedSize = 33;
constexpr int kSignatureSize = 64;

// One signing context for the process, randomized once against side channels.
// libsecp256k1 contexts are safe to share across threads for const operations.
const secp256k1_context *signingContext()
{
    static secp256k1_context *ctx = [] {
        secp256k1_context *c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
        unsigned char seed[32];
        QRandomGenerator::system()->generate(std::begin(seed), std::end(seed));
        if (!secp256k1_context_randomize(c, seed))
            qFatal("secp256k1_context_randomize failed");
        std::memset(seed, 0, sizeof seed);
        return c;
    }();
    return ctx;
}

const unsigned char *u8(const QByteArray &a)
{
    return reinterpret_cast<const unsigned char *>(a.constData());
}

Error keyError(const QString &code, const QString &message)
{
    return Error(QStringLiteral("key.") + code, message, 400);
}

} // namespace

// ---------------------------------------------------------------- PublicKey

Result<PublicKey> PublicKey::fromBytes(const QByteArray &compressed33)
{
    if (compressed33.size() != kCompressedSize) {
        return keyError(QStringLiteral("wrong_length"),
                        QStringLiteral("A public key must be 33 bytes (compressed), not %1.")
                            .arg(compressed33.size()));
    }
    secp256k1_pubkey parsed;
    if (!secp256k1_ec_pubkey_parse(secp256k1_context_static, &parsed, u8(compressed33), kCompressedSize)) {
        return keyError(QStringLiteral("not_on_curve"),
                        QStringLiteral("The public key is not a valid compressed secp256k1 point."));
    }
    PublicKey key;
    key.m_bytes = compressed33;
    return key;
}

Result<PublicKey> PublicKey::fromBase58Check(const QString &text)
{
    Result<DecodedKey> decoded = decodeBase58Check(text);
    if (!decoded)
        return decoded.error();
    if (decoded->kind != KeyKind::Public) {
        return keyError(QStringLiteral("not_public"),
                        QStringLiteral("A private key was given where a public key is expected."));
    }
    return fromBytes(decoded->payload);
}

QString PublicKey::toBase58Check(Network network) const
{
    return encodeBase58Check(m_bytes, network, KeyKind::Public);
}

bool PublicKey::verify(const QByteArray &sha256Digest, const QByteArray &signature64) const
{
    if (isNull() || sha256Digest.size() != 32 || signature64.size() != kSignatureSize)
        return false;
    secp256k1_pubkey pub;
    if (!secp256k1_ec_pubkey_parse(secp256k1_context_static, &pub, u8(m_bytes), kCompressedSize))
        return false;
    secp256k1_ecdsa_signature sig;
    // parse_compact refuses r or s >= n; r = 0 or s = 0 fail in verify.
    if (!secp256k1_ecdsa_signature_parse_compact(secp256k1_context_static, &sig, u8(signature64)))
        return false;
    // secp256k1_ecdsa_verify accepts low-S only; browsers' identity service sends high-S too.
    secp256k1_ecdsa_signature_normalize(secp256k1_context_static, &sig, &sig);
    return secp256k1_ecdsa_verify(secp256k1_context_static, &sig, u8(sha256Digest), &pub) == 1;
}

// ---------------------------------------------------------------- PrivateKey

PrivateKey::PrivateKey(const PrivateKey &other) : m_secret(other.m_secret)
{
    m_secret.detach();
}

PrivateKey &PrivateKey::operator=(const PrivateKey &other)
{
    if (this != &other) {
        wipe();
        m_secret = other.m_secret;
        m_secret.detach();
    }
    return *this;
}

PrivateKey::PrivateKey(PrivateKey &&other) noexcept : m_secret(std::move(other.m_secret)) {}

PrivateKey &PrivateKey::operator=(PrivateKey &&other) noexcept
{
    if (this != &other) {
        wipe();
        m_secret = std::move(other.m_secret);
    }
    return *this;
}

PrivateKey::~PrivateKey()
{
    wipe();
}

void PrivateKey::wipe()
{
    // Only wipe storage we own alone; a shared buffer belongs to a copy still alive.
    if (!m_secret.isEmpty() && !m_secret.isDetached())
        m_secret = QByteArray();
    if (!m_secret.isEmpty()) {
        volatile char *p = m_secret.data();
        for (qsizetype i = 0; i < m_secret.size(); ++i)
            p[i] = 0;
    }
    m_secret = QByteArray();
}

PrivateKey PrivateKey::generate()
{
    QByteArray secret(kSecretSize, Qt::Uninitialized);
    do {
        QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(secret.data()),
                                              kSecretSize / sizeof(quint32));
    } while (!secp256k1_ec_seckey_verify(secp256k1_context_static, u8(secret)));
    PrivateKey key;
    key.m_secret = std::move(secret);
    return key;
}

Result<PrivateKey> PrivateKey::fromBytes(const QByteArray &secret32)
{
    if (secret32.size() != kSecretSize) {
        return keyError(QStringLiteral("wrong_length"),
                        QStringLiteral("A private key must be 32 bytes, not %1.").arg(secret32.size()));
    }
    if (!secp256k1_ec_seckey_verify(secp256k1_context_static, u8(secret32))) {
        return keyError(QStringLiteral("out_of_range"),
                        QStringLiteral("The private key is zero or not below the secp256k1 group order."));
    }
    PrivateKey key;
    key.m_secret = secret32;
    key.m_secret.detach();
    return key;
}

Result<PrivateKey> PrivateKey::fromBase58Check(const QString &text)
{
    Result<DecodedKey> decoded = decodeBase58Check(text);
    if (!decoded)
        return decoded.error();
    if (decoded->kind != KeyKind::Private) {
        return keyError(QStringLiteral("not_private"),
                        QStringLiteral("A public key was given where a private key is expected."));
    }
    Result<PrivateKey> key = fromBytes(decoded->payload);
    decoded.value().payload.fill('\0');
    return key;
}

QString PrivateKey::toBase58Check(Network network) const
{
    return encodeBase58Check(m_secret, network, KeyKind::Private);
}

PublicKey PrivateKey::publicKey() const
{
    if (isNull())
        return {};
    secp256k1_pubkey pub;
    if (!secp256k1_ec_pubkey_create(signingContext(), &pub, u8(m_secret)))
        return {};
    QByteArray out(kCompressedSize, Qt::Uninitialized);
    size_t len = kCompressedSize;
    secp256k1_ec_pubkey_serialize(secp256k1_context_static, reinterpret_cast<unsigned char *>(out.data()),
                                  &len, &pub, SECP256K1_EC_COMPRESSED);
    Result<PublicKey> key = PublicKey::fromBytes(out);
    return key ? key.value() : PublicKey();
}

QByteArray PrivateKey::sign(const QByteArray &sha256Digest) const
{
    if (isNull() || sha256Digest.size() != 32)
        return {};
    secp256k1_ecdsa_signature sig;
    // Null nonce function = RFC 6979; libsecp256k1 always produces low-S.
    if (!secp256k1_ecdsa_sign(signingContext(), &sig, u8(sha256Digest), u8(m_secret), nullptr, nullptr))
        return {};
    QByteArray out(kSignatureSize, Qt::Uninitialized);
    secp256k1_ecdsa_signature_serialize_compact(secp256k1_context_static,
                                                reinterpret_cast<unsigned char *>(out.data()), &sig);
    return out;
}

// ---------------------------------------------------------------- signature helpers

namespace {
// secp256k1 group order n, big-endian.
constexpr unsigned char kOrder[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
    0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};
} // namespace

QByteArray negateSignatureS(const QByteArray &signature64)
{
    if (signature64.size() != kSignatureSize)
        return {};
    // s' = n - s, big-endian subtraction (s is in [1, n-1] for a valid signature).
    QByteArray out = signature64;
    int borrow = 0;
    for (int i = 31; i >= 0; --i) {
        int d = int(kOrder[i]) - int(static_cast<unsigned char>(signature64.at(32 + i))) - borrow;
        borrow = d < 0 ? 1 : 0;
        out[32 + i] = static_cast<char>(d & 0xff);
    }
    return out;
}

bool isLowS(const QByteArray &signature64)
{
    if (signature64.size() != kSignatureSize)
        return false;
    secp256k1_ecdsa_signature sig;
    if (!secp256k1_ecdsa_signature_parse_compact(secp256k1_context_static, &sig, u8(signature64)))
        return false;
    // normalize returns 1 when the input was high-S.
    return secp256k1_ecdsa_signature_normalize(secp256k1_context_static, nullptr, &sig) == 0;
}

QByteArray signatureToDer(const QByteArray &signature64)
{
    if (signature64.size() != kSignatureSize)
        return {};
    secp256k1_ecdsa_signature sig;
    if (!secp256k1_ecdsa_signature_parse_compact(secp256k1_context_static, &sig, u8(signature64)))
        return {};
    QByteArray der(72, Qt::Uninitialized);
    size_t len = 72;
    if (!secp256k1_ecdsa_signature_serialize_der(secp256k1_context_static,
                                                 reinterpret_cast<unsigned char *>(der.data()), &len, &sig))
        return {};
    der.truncate(static_cast<qsizetype>(len));
    return der;
}

} // namespace deso::identity
