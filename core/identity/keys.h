#pragma once
// secp256k1 keys through bitcoin-core's libsecp256k1 (no curve arithmetic here).

#include "common/result.h"
#include "identity/base58check.h"

#include <QByteArray>
#include <QString>

namespace deso::identity {

// A valid compressed secp256k1 public key (33 bytes). Default-constructed = null.
class PublicKey {
public:
    PublicKey() = default;

    static Result<PublicKey> fromBytes(const QByteArray &compressed33);
    // Accepts mainnet or testnet public keys; refuses private keys ("key.not_public").
    static Result<PublicKey> fromBase58Check(const QString &text);

    QString toBase58Check(Network network) const;
    QByteArray bytes() const { return m_bytes; }
    bool isNull() const { return m_bytes.isEmpty(); }

    // ECDSA verification of a 64-byte r‖s signature over a 32-byte SHA-256 digest.
    // High-S signatures are normalized first, so both forms verify.
    bool verify(const QByteArray &sha256Digest, const QByteArray &signature64) const;

    friend bool operator==(const PublicKey &a, const PublicKey &b) { return a.m_bytes == b.m_bytes; }
    friend bool operator!=(const PublicKey &a, const PublicKey &b) { return !(a == b); }

private:
    QByteArray m_bytes;
};

// A secp256k1 secret key (32 bytes). The bytes are wiped when the object dies.
class PrivateKey {
public:
    PrivateKey() = default;
    PrivateKey(const PrivateKey &other);
    PrivateKey &operator=(const PrivateKey &other);
    PrivateKey(PrivateKey &&other) noexcept;
    PrivateKey &operator=(PrivateKey &&other) noexcept;
    ~PrivateKey();

    // A fresh key from the system's CSPRNG.
    static PrivateKey generate();
    static Result<PrivateKey> fromBytes(const QByteArray &secret32);
    // Accepts mainnet or testnet private keys; refuses public keys ("key.not_private").
    static Result<PrivateKey> fromBase58Check(const QString &text);

    QString toBase58Check(Network network) const;
    QByteArray bytes() const { return m_secret; }
    bool isNull() const { return m_secret.isEmpty(); }

    PublicKey publicKey() const;

    // ECDSA over secp256k1 with an RFC 6979 nonce: 64 bytes r‖s, low-S.
    // sha256Digest must be 32 bytes; anything else gives an empty array.
    QByteArray sign(const QByteArray &sha256Digest) const;

private:
    void wipe();
    QByteArray m_secret;
};

// Low-level helpers for tests and tools: flip a valid signature's S to n - S
// (turning low-S into high-S and back), and convert 64-byte r‖s to DER.
QByteArray negateSignatureS(const QByteArray &signature64);
QByteArray signatureToDer(const QByteArray &signature64);
bool isLowS(const QByteArray &signature64);

} // namespace deso::identity
