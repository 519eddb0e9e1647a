// JWT parsing and verification as upload-image runs it on the JWT form field.
// The first byte picks a mode:
//   even: the rest is a token, verified against a fixed owner key (raw bytes as
//         the form would carry them);
//   odd:  the rest is "header-json \n payload-json [\n signer]", which this harness
//         encodes and signs with the owner key (or a derived key, authorized or
//         not), so the claim checks and the signature path are reached too.
// Properties: every refusal is a 400 with a jwt.* code; an accepted token was
// signed by the owner (or an authorized derived key) and is not expired; a
// harness-signed token with ES256/ES256K and a future numeric exp is accepted.
// base64url decoding round-trips.
// Set DESO_FUZZ_PRINT_SEED=1 to print a valid token for the seed corpus and exit.
#include "fuzzcheck.h"
#include "identity/jwt.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdint>
#include <cstdio>

using namespace deso::identity;

namespace {

constexpr qint64 kNow = 1'800'000'000; // fixed, so expiry never depends on the wall clock

PrivateKey keyFrom(char fill)
{
    return PrivateKey::fromBytes(QByteArray(32, fill)).value();
}

struct Keys {
    PrivateKey owner = keyFrom(0x11);
    PrivateKey derived = keyFrom(0x22);    // authorized for owner
    PrivateKey stranger = keyFrom(0x33);   // not authorized
    QString ownerText = owner.publicKey().toBase58Check(Network::Mainnet);
    QString derivedText = derived.publicKey().toBase58Check(Network::Mainnet);
    QString strangerText = stranger.publicKey().toBase58Check(Network::Testnet);
    DerivedKeyAuthorizations authorizations;
    Keys() { (void)authorizations.authorize(ownerText, derivedText); }
};

const Keys &keys()
{
    static const Keys k;
    return k;
}

JwtVerifyOptions verifyOptions()
{
    JwtVerifyOptions o;
    o.now = kNow;
    o.authorizations = &keys().authorizations;
    return o;
}

QByteArray sha256(const QByteArray &b)
{
    return QCryptographicHash::hash(b, QCryptographicHash::Sha256);
}

void checkRefusal(const deso::Error &e)
{
    FUZZ_CHECK(e.httpStatus == 400);
    FUZZ_CHECK(e.code.startsWith(QLatin1String("jwt.")));
    FUZZ_CHECK(!e.message.isEmpty());
}

void rawToken(const QByteArray &bytes)
{
    // Form fields arrive as bytes; the host reads them as UTF-8.
    const auto result = verifyJwt(QString::fromUtf8(bytes), keys().ownerText, verifyOptions());
    if (!result.ok())
        return checkRefusal(result.error());
    // Only tokens signed with the owner or the authorized derived key can pass.
    FUZZ_CHECK(result->exp + 60 >= kNow);
    FUZZ_CHECK(result->derivedPublicKeyBase58Check.isEmpty()
               || PublicKey::fromBase58Check(result->derivedPublicKeyBase58Check).value() == keys().derived.publicKey());

    const QList<QByteArray> parts = bytes.trimmed().split('.');
    FUZZ_CHECK(parts.size() == 3);
    auto decoded = base64UrlDecode(parts[0]);
    FUZZ_CHECK(decoded.ok());
}

void signedToken(const QByteArray &bytes)
{
    const QList<QByteArray> fields = bytes.split('\n');
    const QByteArray header = fields.value(0);
    const QByteArray payload = fields.value(1);
    const QByteArray signer = fields.value(2);
    const PrivateKey &key = signer == "derived" ? keys().derived : signer == "stranger" ? keys().stranger : keys().owner;
    const QByteArray input = base64UrlEncode(header) + '.' + base64UrlEncode(payload);
    QByteArray signature = key.sign(sha256(input));
    FUZZ_CHECK(signature.size() == 64);
    if (signer == "high-s")
        signature = negateSignatureS(signature);
    const QByteArray token = input + '.' + base64UrlEncode(signature);
    const auto result = verifyJwt(QString::fromLatin1(token), keys().ownerText, verifyOptions());
    if (!result.ok())
        checkRefusal(result.error());

    // What must be accepted: a JSON header naming ES256/ES256K, a JSON payload with a
    // finite numeric exp in the future, signed by the owner (either S form) and no
    // derived key claim.
    QJsonParseError e1{}, e2{};
    const QJsonDocument h = QJsonDocument::fromJson(header, &e1);
    const QJsonDocument p = QJsonDocument::fromJson(payload, &e2);
    if (e1.error != QJsonParseError::NoError || e2.error != QJsonParseError::NoError || !h.isObject() || !p.isObject())
        return;
    const QString alg = h.object().value(QStringLiteral("alg")).toString();
    const QJsonValue exp = p.object().value(QStringLiteral("exp"));
    const QJsonValue derived = p.object().value(QStringLiteral("derivedPublicKeyBase58Check"));
    const bool mustPass = (alg == QLatin1String("ES256") || alg == QLatin1String("ES256K")) && exp.isDouble()
        && exp.toDouble() >= double(kNow) && exp.toDouble() < 1e15 && derived.isUndefined()
        && (signer.isEmpty() || signer == "owner" || signer == "high-s");
    if (mustPass)
        FUZZ_CHECK(result.ok());
    if (result.ok() && signer == "stranger")
        FUZZ_CHECK(false);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    if (qEnvironmentVariableIsSet("DESO_FUZZ_PRINT_SEED")) {
        JwtSignOptions o;
        o.issuedAt = kNow - 100;
        std::printf("owner %s\n%s\n", qPrintable(keys().ownerText), qPrintable(signJwt(keys().owner, o)));
        o.derivedPublicKeyBase58Check = keys().derivedText;
        std::printf("%s\n", qPrintable(signJwt(keys().derived, o)));
        std::exit(0);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const QByteArray rest(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));
    if (data[0] % 2 == 0)
        rawToken(rest);
    else
        signedToken(rest);

    // base64url: what decodes re-encodes to the same text (one spelling per value).
    if (const auto decoded = base64UrlDecode(rest); decoded.ok())
        FUZZ_CHECK(base64UrlEncode(decoded.value()) == rest);
    return 0;
}
