#include "identity/jwt.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

namespace deso::identity {

namespace {

Error jwtError(const QString &code, const QString &message)
{
    return Error(QStringLiteral("jwt.") + code, message, 400);
}

int urlValue(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

// Tokens far larger than any real DeSo JWT are refused before any parsing.
constexpr qsizetype kMaxTokenSize = 8192;

Result<QJsonObject> decodeJsonSegment(const QByteArray &segment, const QString &what)
{
    Result<QByteArray> raw = base64UrlDecode(segment);
    if (!raw)
        return jwtError(QStringLiteral("base64"),
                        QStringLiteral("The JWT %1 is not valid base64url: %2").arg(what, raw.error().message));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(raw.value(), &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return jwtError(QStringLiteral("json"),
                        QStringLiteral("The JWT %1 is not valid JSON (%2).").arg(what, parseError.errorString()));
    if (!doc.isObject())
        return jwtError(QStringLiteral("json"), QStringLiteral("The JWT %1 is not a JSON object.").arg(what));
    return doc.object();
}

QByteArray sha256(const QByteArray &data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha256);
}

// A DER ECDSA signature: SEQUENCE { INTEGER r, INTEGER s }, 8 to 72 bytes.
bool looksLikeDer(const QByteArray &sig)
{
    return sig.size() >= 8 && sig.size() <= 72 && static_cast<unsigned char>(sig.at(0)) == 0x30
        && static_cast<unsigned char>(sig.at(1)) == sig.size() - 2 && sig.at(2) == 0x02;
}

} // namespace

QByteArray base64UrlEncode(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

Result<QByteArray> base64UrlDecode(const QByteArray &text)
{
    if (text.size() % 4 == 1)
        return Error(QStringLiteral("base64.length"), QStringLiteral("its length is impossible for base64."), 400);
    QByteArray out;
    out.reserve(text.size() * 3 / 4);
    quint32 acc = 0;
    int bits = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const int v = urlValue(text.at(i));
        if (v < 0) {
            const char c = text.at(i);
            const QString shown = c >= 0x20 && c < 0x7f ? QString(QLatin1Char(c))
                                                        : QStringLiteral("0x%1").arg(uchar(c), 2, 16, QLatin1Char('0'));
            return Error(QStringLiteral("base64.character"),
                         QStringLiteral("character '%1' at position %2 is not in the base64url alphabet.")
                             .arg(shown)
                             .arg(i + 1),
                         400);
        }
        acc = (acc << 6) | quint32(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.append(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    // Leftover bits must be zero: otherwise two spellings would decode to the same bytes.
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return Error(QStringLiteral("base64.trailing_bits"), QStringLiteral("its last character has stray bits."), 400);
    return out;
}

QString signJwt(const PrivateKey &key, const JwtSignOptions &options)
{
    const QByteArray header = QByteArrayLiteral("{\"alg\":\"ES256\",\"typ\":\"JWT\"}");
    const qint64 iat = options.issuedAt.value_or(QDateTime::currentSecsSinceEpoch());
    QJsonObject claims{{QStringLiteral("iat"), iat}, {QStringLiteral("exp"), iat + options.lifetimeSeconds}};
    if (!options.derivedPublicKeyBase58Check.isEmpty())
        claims.insert(QStringLiteral("derivedPublicKeyBase58Check"), options.derivedPublicKeyBase58Check);
    const QByteArray signingInput = base64UrlEncode(header) + '.'
        + base64UrlEncode(QJsonDocument(claims).toJson(QJsonDocument::Compact));
    const QByteArray signature = key.sign(sha256(signingInput));
    if (signature.isEmpty())
        return {};
    return QString::fromLatin1(signingInput + '.' + base64UrlEncode(signature));
}

Result<JwtClaims> verifyJwt(const QString &token, const QString &ownerPublicKeyBase58Check,
                            const JwtVerifyOptions &options)
{
    const QByteArray compact = token.trimmed().toLatin1();
    if (compact.isEmpty())
        return jwtError(QStringLiteral("empty"), QStringLiteral("No JWT provided."));
    if (compact.size() > kMaxTokenSize)
        return jwtError(QStringLiteral("too_large"),
                        QStringLiteral("The JWT is %1 bytes long; at most %2 are accepted.")
                            .arg(compact.size())
                            .arg(kMaxTokenSize));
    const QList<QByteArray> parts = compact.split('.');
    if (parts.size() != 3)
        return jwtError(QStringLiteral("segments"),
                        QStringLiteral("The JWT has %1 segments; it must have 3 (header.payload.signature).")
                            .arg(parts.size()));

    Result<QJsonObject> header = decodeJsonSegment(parts[0], QStringLiteral("header"));
    if (!header)
        return header.error();
    const QJsonValue alg = header->value(QStringLiteral("alg"));
    if (!alg.isString())
        return jwtError(QStringLiteral("alg"), QStringLiteral("The JWT header has no \"alg\"; it must be ES256."));
    const QString algName = alg.toString();
    if (algName != QLatin1String("ES256") && algName != QLatin1String("ES256K"))
        return jwtError(QStringLiteral("alg"),
                        QStringLiteral("The JWT algorithm \"%1\" is not accepted; only ES256 (ECDSA on secp256k1) is.")
                            .arg(algName.left(32)));

    Result<QJsonObject> payload = decodeJsonSegment(parts[1], QStringLiteral("payload"));
    if (!payload)
        return payload.error();
    JwtClaims claims;
    const QJsonValue exp = payload->value(QStringLiteral("exp"));
    if (!exp.isDouble() || !std::isfinite(exp.toDouble()))
        return jwtError(QStringLiteral("claims"), QStringLiteral("The JWT payload has no numeric \"exp\" (expiry time)."));
    // Clamp so absurd values cannot overflow the comparison below.
    claims.exp = static_cast<qint64>(std::clamp(std::floor(exp.toDouble()), -1e15, 1e15));
    const QJsonValue iat = payload->value(QStringLiteral("iat"));
    if (iat.isDouble() && std::isfinite(iat.toDouble()))
        claims.iat = static_cast<qint64>(std::clamp(std::floor(iat.toDouble()), -1e15, 1e15));
    const QJsonValue derived = payload->value(QStringLiteral("derivedPublicKeyBase58Check"));
    if (!derived.isUndefined() && !derived.isNull()) {
        if (!derived.isString())
            return jwtError(QStringLiteral("claims"),
                            QStringLiteral("The JWT's \"derivedPublicKeyBase58Check\" is not a string."));
        claims.derivedPublicKeyBase58Check = derived.toString();
    }

    Result<QByteArray> signature = base64UrlDecode(parts[2]);
    if (!signature)
        return jwtError(QStringLiteral("base64"),
                        QStringLiteral("The JWT signature is not valid base64url: %1").arg(signature.error().message));
    if (signature->size() != 64) {
        if (looksLikeDer(signature.value()))
            return jwtError(QStringLiteral("signature_der"),
                            QStringLiteral("The JWT signature is DER-encoded; it must be the 64 raw bytes r||s."));
        return jwtError(QStringLiteral("signature_format"),
                        QStringLiteral("The JWT signature is %1 bytes; it must be the 64 raw bytes r||s.")
                            .arg(signature->size()));
    }

    Result<PublicKey> owner = PublicKey::fromBase58Check(ownerPublicKeyBase58Check);
    if (!owner)
        return jwtError(QStringLiteral("public_key"),
                        QStringLiteral("The public key is not valid: %1").arg(owner.error().message));

    PublicKey signer = owner.value();
    if (!claims.derivedPublicKeyBase58Check.isEmpty()) {
        Result<PublicKey> derivedKey = PublicKey::fromBase58Check(claims.derivedPublicKeyBase58Check);
        if (!derivedKey)
            return jwtError(QStringLiteral("claims"),
                            QStringLiteral("The JWT's derived public key is not valid: %1")
                                .arg(derivedKey.error().message));
        if (!options.authorizations || !options.authorizations->isAuthorized(owner.value(), derivedKey.value()))
            return jwtError(QStringLiteral("derived_key_unauthorized"),
                            QStringLiteral("The JWT was signed by a derived key that this host has no local "
                                           "authorization for; only a node with chain state can check derived keys."));
        signer = derivedKey.value();
    }

    const QByteArray signingInput = parts[0] + '.' + parts[1];
    if (!signer.verify(sha256(signingInput), signature.value()))
        return jwtError(QStringLiteral("bad_signature"),
                        claims.derivedPublicKeyBase58Check.isEmpty()
                            ? QStringLiteral("The JWT signature does not match the public key.")
                            : QStringLiteral("The JWT signature does not match its derived public key."));

    const qint64 now = options.now.value_or(QDateTime::currentSecsSinceEpoch());
    if (now > claims.exp + options.clockSkewSeconds)
        return jwtError(QStringLiteral("expired"),
                        QStringLiteral("The JWT expired %1 seconds ago; sign a new one.").arg(now - claims.exp));
    return claims;
}

// ---------------------------------------------------------------- DerivedKeyAuthorizations

Status DerivedKeyAuthorizations::authorize(const QString &ownerPublicKeyBase58Check,
                                           const QString &derivedPublicKeyBase58Check)
{
    Result<PublicKey> owner = PublicKey::fromBase58Check(ownerPublicKeyBase58Check);
    if (!owner)
        return Error(QStringLiteral("authorization.owner_key"),
                     QStringLiteral("The owner key is not valid: %1").arg(owner.error().message), 400);
    Result<PublicKey> derived = PublicKey::fromBase58Check(derivedPublicKeyBase58Check);
    if (!derived)
        return Error(QStringLiteral("authorization.derived_key"),
                     QStringLiteral("The derived key is not valid: %1").arg(derived.error().message), 400);
    m_byOwner[owner->bytes()].insert(derived->bytes());
    return {};
}

void DerivedKeyAuthorizations::revoke(const QString &ownerPublicKeyBase58Check,
                                      const QString &derivedPublicKeyBase58Check)
{
    Result<PublicKey> owner = PublicKey::fromBase58Check(ownerPublicKeyBase58Check);
    Result<PublicKey> derived = PublicKey::fromBase58Check(derivedPublicKeyBase58Check);
    if (!owner || !derived)
        return;
    auto it = m_byOwner.find(owner->bytes());
    if (it == m_byOwner.end())
        return;
    it->remove(derived->bytes());
    if (it->isEmpty())
        m_byOwner.erase(it);
}

bool DerivedKeyAuthorizations::isAuthorized(const PublicKey &owner, const PublicKey &derived) const
{
    const auto it = m_byOwner.constFind(owner.bytes());
    return it != m_byOwner.constEnd() && it->contains(derived.bytes());
}

int DerivedKeyAuthorizations::size() const
{
    int n = 0;
    for (const auto &set : m_byOwner)
        n += int(set.size());
    return n;
}

Result<DerivedKeyAuthorizations> DerivedKeyAuthorizations::fromJson(const QByteArray &json)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject())
        return Error(QStringLiteral("authorization.json"),
                     QStringLiteral("The derived-key authorization list is not a JSON object of "
                                    "owner key to a list of derived keys."),
                     400);
    DerivedKeyAuthorizations list;
    const QJsonObject root = doc.object();
    for (auto it = root.begin(); it != root.end(); ++it) {
        if (!it.value().isArray())
            return Error(QStringLiteral("authorization.json"),
                         QStringLiteral("The authorization entry for %1 is not a list of derived keys.").arg(it.key()),
                         400);
        for (const QJsonValue &derived : it.value().toArray()) {
            Status st = list.authorize(it.key(), derived.toString());
            if (!st)
                return st.error();
        }
    }
    return list;
}

Result<DerivedKeyAuthorizations> DerivedKeyAuthorizations::fromFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error(QStringLiteral("authorization.file"),
                     QStringLiteral("Cannot read the derived-key authorization list %1: %2.")
                         .arg(path, file.errorString()));
    return fromJson(file.read(1 << 20));
}

} // namespace deso::identity
