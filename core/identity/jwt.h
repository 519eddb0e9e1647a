#pragma once
// DeSo JWTs: JWS compact tokens, header {"alg":"ES256","typ":"JWT"}, signed with
// ECDSA over secp256k1 (despite the "ES256" name), signature = 64 bytes r‖s base64url.

#include "common/result.h"
#include "identity/keys.h"

#include <QDateTime>
#include <QHash>
#include <QSet>
#include <QString>

#include <optional>

namespace deso::identity {

struct JwtSignOptions {
    // iat, seconds since the epoch. Unset = the clock when signJwt runs, so options
    // kept and reused never sign with a stale time.
    std::optional<qint64> issuedAt;
    qint64 lifetimeSeconds = 1800;        // exp = iat + lifetime (the JS SDK's default)
    QString derivedPublicKeyBase58Check;  // set when a derived key signs
};

// Signs a token with this key (low-S, RFC 6979 deterministic). Empty for a null key.
QString signJwt(const PrivateKey &key, const JwtSignOptions &options = {});

struct JwtClaims {
    qint64 iat = 0;  // 0 when absent (the node ignores iat)
    qint64 exp = 0;
    QString derivedPublicKeyBase58Check;  // empty unless a derived key signed
};

// The host has no chain state, so it cannot see on-chain derived-key authorizations.
// This is the explicit local list of "owner authorized derived key" facts it accepts instead.
// Keys compare by their 33 bytes, so mainnet and testnet spellings are the same key.
class DerivedKeyAuthorizations {
public:
    Status authorize(const QString &ownerPublicKeyBase58Check, const QString &derivedPublicKeyBase58Check);
    void revoke(const QString &ownerPublicKeyBase58Check, const QString &derivedPublicKeyBase58Check);
    bool isAuthorized(const PublicKey &owner, const PublicKey &derived) const;
    int size() const;

    // JSON file format: {"<owner key>": ["<derived key>", ...], ...}
    static Result<DerivedKeyAuthorizations> fromJson(const QByteArray &json);
    static Result<DerivedKeyAuthorizations> fromFile(const QString &path);

private:
    QHash<QByteArray, QSet<QByteArray>> m_byOwner;
};

struct JwtVerifyOptions {
    // Seconds since the epoch. Unset = the clock when verifyJwt runs, so a host can keep
    // one options object for all requests.
    std::optional<qint64> now;
    int clockSkewSeconds = 60;  // a token is still accepted this long after exp
    const DerivedKeyAuthorizations *authorizations = nullptr;
};

// Verifies token for the owner's public key. Every refusal is an Error with
// httpStatus 400, a "jwt.*" code and a sentence fit for {"error": ...}:
// jwt.empty, jwt.too_large, jwt.segments, jwt.base64, jwt.json, jwt.alg, jwt.claims,
// jwt.signature_format, jwt.signature_der, jwt.public_key, jwt.derived_key_unauthorized,
// jwt.bad_signature, jwt.expired. exp is required; iat is ignored, as the node does.
Result<JwtClaims> verifyJwt(const QString &token, const QString &ownerPublicKeyBase58Check,
                            const JwtVerifyOptions &options = {});

// base64url without padding, as JWS uses it; the decoder is strict (no '=', '+', '/', spaces).
QByteArray base64UrlEncode(const QByteArray &data);
Result<QByteArray> base64UrlDecode(const QByteArray &text);

} // namespace deso::identity
