// core/identity: Base58Check keys, secp256k1 signatures, DeSo JWTs and the test key store.
// Fixed vectors in data/independent-vectors.json were made by a different implementation
// (Node.js elliptic + bs58check; see its "comment" field).
#include "identity/base58check.h"
#include "identity/jwt.h"
#include "identity/keys.h"
#include "identity/keystore.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QSet>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>
#include <QTemporaryDir>
#include <QtTest>

using namespace deso;
using namespace deso::identity;

namespace {

QJsonObject loadVectors()
{
    QFile f(QStringLiteral(DESO_TEST_DATA_DIR "/independent-vectors.json"));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot open independent-vectors.json");
    return QJsonDocument::fromJson(f.readAll()).object();
}

QByteArray sha256(const QByteArray &data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha256);
}

// prefix ‖ payload ‖ correct checksum, so only the property under test is wrong.
QString base58CheckWithChecksum(const QByteArray &body)
{
    return encodeBase58(body + sha256(sha256(body)).left(4));
}

QByteArray b64u(const QByteArray &raw)
{
    return base64UrlEncode(raw);
}

QString replaceSegment(const QString &token, int index, const QByteArray &segment)
{
    QStringList parts = token.split(QLatin1Char('.'));
    parts[index] = QString::fromLatin1(segment);
    return parts.join(QLatin1Char('.'));
}

QByteArray segmentBytes(const QString &token, int index)
{
    return base64UrlDecode(token.split(QLatin1Char('.')).at(index).toLatin1()).value();
}

// Refusals must be ready for {"error": ...}: a jwt.* code, a sentence, HTTP 400.
void checkRefusal(const Result<JwtClaims> &r, const QString &code)
{
    QVERIFY2(!r.ok(), qPrintable(QStringLiteral("expected %1, got success").arg(code)));
    QCOMPARE(r.error().code, code);
    QCOMPARE(r.error().httpStatus, 400);
    QVERIFY(r.error().message.size() > 10);
    QVERIFY2(r.error().message.endsWith(QLatin1Char('.')), qPrintable(r.error().message));
}

} // namespace

class TestIdentity : public QObject {
    Q_OBJECT

    QJsonObject v = loadVectors();
    QJsonObject owner = v.value(QStringLiteral("owner")).toObject();
    QJsonObject derived = v.value(QStringLiteral("derived")).toObject();
    qint64 iat = v.value(QStringLiteral("iat")).toInteger();
    qint64 exp = v.value(QStringLiteral("exp")).toInteger();

    QString vec(const char *group, const char *field) const
    {
        return v.value(QLatin1String(group)).toObject().value(QLatin1String(field)).toString();
    }
    QString ownerKey() const { return owner.value(QStringLiteral("publicKeyMainnet")).toString(); }
    JwtVerifyOptions at(qint64 now) const
    {
        JwtVerifyOptions o;
        o.now = now;
        return o;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(!v.isEmpty());
        QCoreApplication::setOrganizationName(QStringLiteral("deso-media-tests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_identity"));
    }

    // ------------------------------------------------------------ Base58Check

    void knownPublicKeysDecodeToTheir33Bytes_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<int>("network");
        for (const QJsonValue &k : v.value(QStringLiteral("knownPublicKeys")).toArray()) {
            const QJsonObject o = k.toObject();
            const QString text = o.value(QStringLiteral("base58Check")).toString();
            const int network = o.value(QStringLiteral("prefixHex")).toString() == QLatin1String("cd1400")
                ? int(Network::Mainnet)
                : int(Network::Testnet);
            QTest::newRow(qPrintable(text)) << text
                                            << QByteArray::fromHex(o.value(QStringLiteral("keyHex")).toString().toLatin1())
                                            << network;
        }
    }
    void knownPublicKeysDecodeToTheir33Bytes()
    {
        QFETCH(QString, text);
        QFETCH(QByteArray, key);
        QFETCH(int, network);
        Result<DecodedKey> d = decodeBase58Check(text);
        QVERIFY2(d.ok(), d.ok() ? "" : qPrintable(d.error().toString()));
        QCOMPARE(d->payload.size(), 33);
        QCOMPARE(d->payload, key);
        QCOMPARE(int(d->network), network);
        QCOMPARE(d->kind, KeyKind::Public);
        Result<PublicKey> pub = PublicKey::fromBase58Check(text);
        QVERIFY(pub.ok());
        QCOMPARE(pub->bytes(), key);
        // Round trip: encoding gives back the very same text.
        QCOMPARE(pub->toBase58Check(Network(network)), text);
        QCOMPARE(encodeBase58Check(key, Network(network), KeyKind::Public), text);
    }

    void publicKeyLengthsAndPrefixes()
    {
        const QByteArray key = QByteArray::fromHex(owner.value(QStringLiteral("publicKeyHex")).toString().toLatin1());
        const QString main = encodeBase58Check(key, Network::Mainnet, KeyKind::Public);
        const QString test = encodeBase58Check(key, Network::Testnet, KeyKind::Public);
        QCOMPARE(main, owner.value(QStringLiteral("publicKeyMainnet")).toString());
        QCOMPARE(test, owner.value(QStringLiteral("publicKeyTestnet")).toString());
        QCOMPARE(main.size(), 55);
        QVERIFY(main.startsWith(QLatin1String("BC1YL")));
        QCOMPARE(test.size(), 54);
        QVERIFY(test.startsWith(QLatin1String("tBCK")));
    }

    void knownPrivateKeyRoundTripsAndDerivesTheIndependentPublicKey()
    {
        const QByteArray secret = QByteArray::fromHex(owner.value(QStringLiteral("privateKeyHex")).toString().toLatin1());
        for (const auto &[field, network] : {std::pair{"privateKeyMainnet", Network::Mainnet},
                                             std::pair{"privateKeyTestnet", Network::Testnet}}) {
            const QString text = owner.value(QLatin1String(field)).toString();
            Result<DecodedKey> d = decodeBase58Check(text);
            QVERIFY(d.ok());
            QCOMPARE(d->kind, KeyKind::Private);
            QCOMPARE(d->network, network);
            Result<PrivateKey> key = PrivateKey::fromBase58Check(text);
            QVERIFY(key.ok());
            QCOMPARE(key->bytes(), secret);
            QCOMPARE(key->toBase58Check(network), text);
            // libsecp256k1's point multiplication agrees with elliptic's.
            QCOMPARE(key->publicKey().bytes().toHex(), owner.value(QStringLiteral("publicKeyHex")).toString().toLatin1());
        }
    }

    void generatedKeysRoundTrip()
    {
        for (int i = 0; i < 20; ++i) {
            const PrivateKey key = PrivateKey::generate();
            QCOMPARE(key.bytes().size(), 32);
            const PublicKey pub = key.publicKey();
            QCOMPARE(pub.bytes().size(), 33);
            QVERIFY(pub.bytes().at(0) == 0x02 || pub.bytes().at(0) == 0x03);
            for (Network n : {Network::Mainnet, Network::Testnet}) {
                Result<PublicKey> p = PublicKey::fromBase58Check(pub.toBase58Check(n));
                QVERIFY(p.ok());
                QCOMPARE(p.value(), pub);
                Result<PrivateKey> k = PrivateKey::fromBase58Check(key.toBase58Check(n));
                QVERIFY(k.ok());
                QCOMPARE(k->bytes(), key.bytes());
            }
        }
        QVERIFY(PrivateKey::generate().bytes() != PrivateKey::generate().bytes());
    }

    void base58CheckErrorsAreDistinct()
    {
        const QString good = ownerKey();
        // Checksum: change one character to another valid one.
        QString typo = good;
        typo[20] = typo[20] == QLatin1Char('a') ? QLatin1Char('b') : QLatin1Char('a');
        Result<DecodedKey> r = decodeBase58Check(typo);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, QStringLiteral("base58.checksum"));
        // Truncation also breaks the checksum.
        QCOMPARE(decodeBase58Check(good.left(50)).error().code, QStringLiteral("base58.checksum"));

        const QByteArray key = QByteArray::fromHex(owner.value(QStringLiteral("publicKeyHex")).toString().toLatin1());
        // Wrong prefix with a correct checksum (e.g. a Bitcoin-style prefix).
        r = decodeBase58Check(base58CheckWithChecksum(QByteArray::fromHex("000000") + key));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, QStringLiteral("base58.wrong_prefix"));
        QVERIFY(r.error().message.contains(QLatin1String("000000")));
        // Right prefix, wrong payload length, correct checksum.
        r = decodeBase58Check(base58CheckWithChecksum(QByteArray::fromHex("cd1400") + key.left(32)));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, QStringLiteral("base58.wrong_length"));
        r = decodeBase58Check(base58CheckWithChecksum(QByteArray::fromHex("350000") + key));
        QCOMPARE(r.error().code, QStringLiteral("base58.wrong_length"));
        r = decodeBase58Check(QStringLiteral("1111"));
        QCOMPARE(r.error().code, QStringLiteral("base58.wrong_length"));
        QCOMPARE(decodeBase58Check(QString(300, QLatin1Char('z'))).error().code, QStringLiteral("base58.wrong_length"));
        // Characters outside the alphabet: 0 O I l, punctuation, non-ASCII.
        for (QChar bad : {QChar(u'0'), QChar(u'O'), QChar(u'I'), QChar(u'l'), QChar(u'+'), QChar(u'é')}) {
            QString t = good;
            t[10] = bad;
            r = decodeBase58Check(t);
            QVERIFY(!r.ok());
            QCOMPARE(r.error().code, QStringLiteral("base58.bad_character"));
            QVERIFY(r.error().message.contains(QStringLiteral("position 11")));
        }
        QCOMPARE(decodeBase58Check(QString()).error().code, QStringLiteral("base58.empty"));
        // All of them are HTTP 400 with a sentence.
        QCOMPARE(decodeBase58Check(typo).error().httpStatus, 400);
    }

    void keyKindAndCurveChecks()
    {
        QCOMPARE(PublicKey::fromBase58Check(owner.value(QStringLiteral("privateKeyMainnet")).toString()).error().code,
                 QStringLiteral("key.not_public"));
        QCOMPARE(PrivateKey::fromBase58Check(ownerKey()).error().code, QStringLiteral("key.not_private"));
        // x = p - 1... any x >= p is no point; 0xff.. is above p.
        QByteArray offCurve = QByteArray::fromHex("02") + QByteArray(32, char(0xff));
        QCOMPARE(PublicKey::fromBytes(offCurve).error().code, QStringLiteral("key.not_on_curve"));
        QCOMPARE(PublicKey::fromBase58Check(encodeBase58Check(offCurve, Network::Mainnet, KeyKind::Public)).error().code,
                 QStringLiteral("key.not_on_curve"));
        QCOMPARE(PrivateKey::fromBytes(QByteArray(32, '\0')).error().code, QStringLiteral("key.out_of_range"));
        QCOMPARE(PrivateKey::fromBytes(QByteArray(32, char(0xff))).error().code, QStringLiteral("key.out_of_range"));
    }

    // ------------------------------------------------------------ signatures

    void signingIsDeterministicAndMatchesTheIndependentSignature()
    {
        Result<PrivateKey> key = PrivateKey::fromBase58Check(owner.value(QStringLiteral("privateKeyMainnet")).toString());
        QVERIFY(key.ok());
        // RFC 6979 makes the nonce a function of key and digest, so libsecp256k1 and
        // elliptic must produce the very same low-S signature.
        const QByteArray digest = sha256(vec("es256", "signingInput").toLatin1());
        const QByteArray sig = key->sign(digest);
        QCOMPARE(sig.size(), 64);
        QVERIFY(isLowS(sig));
        QCOMPARE(sig, segmentBytes(vec("es256", "jwt"), 2));
        QVERIFY(key->publicKey().verify(digest, sig));
        QVERIFY(key->publicKey().verify(digest, negateSignatureS(sig)));
        QVERIFY(!isLowS(negateSignatureS(sig)));
        QCOMPARE(negateSignatureS(negateSignatureS(sig)), sig);
        QCOMPARE(signatureToDer(sig), segmentBytes(vec("es256", "jwtDer"), 2));
        QVERIFY(!key->publicKey().verify(sha256("other"), sig));
        QVERIFY(key->sign(QByteArray(31, 'x')).isEmpty());
    }

    // ------------------------------------------------------------ JWT

    void jwtSignedHereVerifiesHere()
    {
        const PrivateKey key = PrivateKey::generate();
        JwtSignOptions so;
        so.issuedAt = 1700000000;
        const QString token = signJwt(key, so);
        QCOMPARE(token.count(QLatin1Char('.')), 2);
        QCOMPARE(segmentBytes(token, 0), QByteArray(R"({"alg":"ES256","typ":"JWT"})"));
        QVERIFY(!token.contains(QLatin1Char('=')));
        const QByteArray sig = segmentBytes(token, 2);
        QCOMPARE(sig.size(), 64);
        QVERIFY(isLowS(sig));
        for (Network n : {Network::Mainnet, Network::Testnet}) {
            Result<JwtClaims> c = verifyJwt(token, key.publicKey().toBase58Check(n), at(1700000000 + 5));
            QVERIFY2(c.ok(), c.ok() ? "" : qPrintable(c.error().toString()));
            QCOMPARE(c->iat, 1700000000);
            QCOMPARE(c->exp, 1700000000 + 1800);
            QVERIFY(c->derivedPublicKeyBase58Check.isEmpty());
        }
        // Default options: issued now, valid now.
        QVERIFY(verifyJwt(signJwt(key), key.publicKey().toBase58Check(Network::Mainnet)).ok());
        so.lifetimeSeconds = 600;
        QCOMPARE(verifyJwt(signJwt(key, so), key.publicKey().toBase58Check(Network::Mainnet), at(1700000000)).value().exp,
                 1700000600);
    }

    void independentVectorsVerify_data()
    {
        QTest::addColumn<QString>("token");
        QTest::addColumn<bool>("highS");
        QTest::newRow("ES256") << vec("es256", "jwt") << false;
        QTest::newRow("ES256K") << vec("es256k", "jwt") << false;
        QTest::newRow("ES256 high-S") << vec("es256", "jwtHighS") << true;
        QTest::newRow("ES256K high-S") << vec("es256k", "jwtHighS") << true;
    }
    void independentVectorsVerify()
    {
        QFETCH(QString, token);
        QFETCH(bool, highS);
        QCOMPARE(!isLowS(segmentBytes(token, 2)), highS);
        for (const char *field : {"publicKeyMainnet", "publicKeyTestnet"}) {
            Result<JwtClaims> c = verifyJwt(token, owner.value(QLatin1String(field)).toString(), at(iat + 10));
            QVERIFY2(c.ok(), c.ok() ? "" : qPrintable(c.error().toString()));
            QCOMPARE(c->iat, iat);
            QCOMPARE(c->exp, exp);
        }
    }

    void derSignatureIsRefused_data()
    {
        QTest::addColumn<QString>("token");
        QTest::newRow("ES256 DER") << vec("es256", "jwtDer");
        QTest::newRow("ES256K DER") << vec("es256k", "jwtDer");
    }
    void derSignatureIsRefused()
    {
        QFETCH(QString, token);
        checkRefusal(verifyJwt(token, ownerKey(), at(iat + 10)), QStringLiteral("jwt.signature_der"));
    }

    void tamperedPayloadIsRefused()
    {
        const QString token = vec("es256", "jwt");
        // Push exp a day later, keep the signature.
        const QByteArray payload = QStringLiteral(R"({"iat":%1,"exp":%2})").arg(iat).arg(exp + 86400).toLatin1();
        checkRefusal(verifyJwt(replaceSegment(token, 1, b64u(payload)), ownerKey(), at(iat + 10)),
                     QStringLiteral("jwt.bad_signature"));
        // Even the header is covered: ES256 → ES256K with ES256's signature fails.
        checkRefusal(verifyJwt(replaceSegment(token, 0, b64u(R"({"alg":"ES256K","typ":"JWT"})")), ownerKey(), at(iat + 10)),
                     QStringLiteral("jwt.bad_signature"));
    }

    void tamperedSignatureIsRefused()
    {
        const QString token = vec("es256", "jwt");
        const QByteArray sig = segmentBytes(token, 2);
        for (int byte : {0, 31, 32, 63}) {
            QByteArray bad = sig;
            bad[byte] = char(bad[byte] ^ 0x01);
            checkRefusal(verifyJwt(replaceSegment(token, 2, b64u(bad)), ownerKey(), at(iat + 10)),
                         QStringLiteral("jwt.bad_signature"));
        }
        // r = 0, s = 0, and r >= n are refused the same way, never crash.
        checkRefusal(verifyJwt(replaceSegment(token, 2, b64u(QByteArray(64, '\0'))), ownerKey(), at(iat + 10)),
                     QStringLiteral("jwt.bad_signature"));
        checkRefusal(verifyJwt(replaceSegment(token, 2, b64u(QByteArray(64, char(0xff)))), ownerKey(), at(iat + 10)),
                     QStringLiteral("jwt.bad_signature"));
        checkRefusal(verifyJwt(replaceSegment(token, 2, b64u(sig.left(63))), ownerKey(), at(iat + 10)),
                     QStringLiteral("jwt.signature_format"));
        checkRefusal(verifyJwt(replaceSegment(token, 2, b64u(sig + sig)), ownerKey(), at(iat + 10)),
                     QStringLiteral("jwt.signature_format"));
    }

    void wrongKeyIsRefused()
    {
        const Result<JwtClaims> r = verifyJwt(vec("es256", "jwt"), derived.value(QStringLiteral("publicKeyMainnet")).toString(),
                                              at(iat + 10));
        checkRefusal(r, QStringLiteral("jwt.bad_signature"));
        QCOMPARE(r.error().message, QStringLiteral("The JWT signature does not match the public key."));
        checkRefusal(verifyJwt(vec("es256", "jwt"), PrivateKey::generate().publicKey().toBase58Check(Network::Mainnet),
                               at(iat + 10)),
                     QStringLiteral("jwt.bad_signature"));
    }

    void expiryHonoursTheClockSkew()
    {
        const QString token = vec("es256", "jwt");
        QVERIFY(verifyJwt(token, ownerKey(), at(exp)).ok());
        QVERIFY(verifyJwt(token, ownerKey(), at(exp + 60)).ok());  // default skew 60 s
        checkRefusal(verifyJwt(token, ownerKey(), at(exp + 61)), QStringLiteral("jwt.expired"));
        JwtVerifyOptions strict = at(exp + 1);
        strict.clockSkewSeconds = 0;
        checkRefusal(verifyJwt(token, ownerKey(), strict), QStringLiteral("jwt.expired"));
        // iat is ignored, as the node does: a token "issued" in the future still verifies.
        QVERIFY(verifyJwt(token, ownerKey(), at(iat - 3600)).ok());
        // Expired and signed here, at the real clock.
        const PrivateKey key = PrivateKey::generate();
        JwtSignOptions old;
        old.issuedAt = QDateTime::currentSecsSinceEpoch() - 7200;
        checkRefusal(verifyJwt(signJwt(key, old), key.publicKey().toBase58Check(Network::Mainnet)),
                     QStringLiteral("jwt.expired"));
    }

    void otherAlgorithmsAreRefused_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<QByteArray>("signature");
        const QByteArray sig = segmentBytes(vec("es256", "jwt"), 2);
        QTest::newRow("none, empty signature") << QByteArray(R"({"alg":"none","typ":"JWT"})") << QByteArray();
        QTest::newRow("none, kept signature") << QByteArray(R"({"alg":"none","typ":"JWT"})") << sig;
        QTest::newRow("HS256") << QByteArray(R"({"alg":"HS256","typ":"JWT"})")
                               << QMessageAuthenticationCode::hash("x", "y", QCryptographicHash::Sha256);
        QTest::newRow("RS256") << QByteArray(R"({"alg":"RS256","typ":"JWT"})") << sig;
        QTest::newRow("es256 lowercase") << QByteArray(R"({"alg":"es256","typ":"JWT"})") << sig;
        QTest::newRow("no alg") << QByteArray(R"({"typ":"JWT"})") << sig;
        QTest::newRow("alg not a string") << QByteArray(R"({"alg":256,"typ":"JWT"})") << sig;
    }
    void otherAlgorithmsAreRefused()
    {
        QFETCH(QByteArray, header);
        QFETCH(QByteArray, signature);
        QString token = replaceSegment(vec("es256", "jwt"), 0, b64u(header));
        token = replaceSegment(token, 2, b64u(signature));
        checkRefusal(verifyJwt(token, ownerKey(), at(iat + 10)), QStringLiteral("jwt.alg"));
    }

    void malformedBase64IsRefused_data()
    {
        QTest::addColumn<int>("segment");
        QTest::addColumn<QByteArray>("text");
        const QStringList parts = vec("es256", "jwt").split(QLatin1Char('.'));
        QTest::newRow("header with *") << 0 << QByteArray("eyJh*GciOiJFUzI1NiJ9");
        QTest::newRow("header standard alphabet +") << 0 << QByteArray("eyJ+bGciOiJFUzI1NiJ9");
        QTest::newRow("payload with padding") << 1 << (parts[1].toLatin1() + "=");
        QTest::newRow("payload with space") << 1 << (parts[1].left(5).toLatin1() + " " + parts[1].mid(5).toLatin1());
        QTest::newRow("signature impossible length") << 2 << (parts[2].toLatin1() + "AAA");
        QTest::newRow("signature with /") << 2 << QByteArray(parts[2].toLatin1()).replace('_', '/');
        QTest::newRow("signature stray bits") << 2 << (parts[2].left(parts[2].size() - 1) + QLatin1Char('B')).toLatin1();
    }
    void malformedBase64IsRefused()
    {
        QFETCH(int, segment);
        QFETCH(QByteArray, text);
        checkRefusal(verifyJwt(replaceSegment(vec("es256", "jwt"), segment, text), ownerKey(), at(iat + 10)),
                     QStringLiteral("jwt.base64"));
    }

    void malformedJsonIsRefused_data()
    {
        QTest::addColumn<int>("segment");
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("code");
        QTest::newRow("header not JSON") << 0 << QByteArray("{\"alg\":\"ES256\"") << QStringLiteral("jwt.json");
        QTest::newRow("header array") << 0 << QByteArray("[\"ES256\"]") << QStringLiteral("jwt.json");
        QTest::newRow("header binary") << 0 << QByteArray("\xff\xfe\x00\x01", 4) << QStringLiteral("jwt.json");
        QTest::newRow("payload not JSON") << 1 << QByteArray("iat=1") << QStringLiteral("jwt.json");
        QTest::newRow("payload number") << 1 << QByteArray("42") << QStringLiteral("jwt.json");
        QTest::newRow("payload empty") << 1 << QByteArray() << QStringLiteral("jwt.json");
        QTest::newRow("payload without exp") << 1 << QByteArray(R"({"iat":1764201600})") << QStringLiteral("jwt.claims");
        QTest::newRow("payload exp string") << 1 << QByteArray(R"({"exp":"1764203400"})") << QStringLiteral("jwt.claims");
        QTest::newRow("payload derived key number") << 1 << QByteArray(R"({"exp":1764203400,"derivedPublicKeyBase58Check":7})")
                                                    << QStringLiteral("jwt.claims");
        QTest::newRow("payload derived key garbage") << 1
                                                     << QByteArray(R"({"exp":1764203400,"derivedPublicKeyBase58Check":"BC1YLnope"})")
                                                     << QStringLiteral("jwt.claims");
    }
    void malformedJsonIsRefused()
    {
        QFETCH(int, segment);
        QFETCH(QByteArray, json);
        QFETCH(QString, code);
        checkRefusal(verifyJwt(replaceSegment(vec("es256", "jwt"), segment, b64u(json)), ownerKey(), at(iat + 10)), code);
    }

    void wrongSegmentCountIsRefused_data()
    {
        QTest::addColumn<QString>("token");
        const QStringList parts = vec("es256", "jwt").split(QLatin1Char('.'));
        QTest::newRow("one") << parts[0];
        QTest::newRow("two") << parts.mid(0, 2).join(QLatin1Char('.'));
        QTest::newRow("four") << (parts.join(QLatin1Char('.')) + QStringLiteral(".AAAA"));
        QTest::newRow("five, JWE-like") << QStringLiteral("a.b.c.d.e");
        QTest::newRow("dots only") << QStringLiteral("...");
    }
    void wrongSegmentCountIsRefused()
    {
        QFETCH(QString, token);
        checkRefusal(verifyJwt(token, ownerKey(), at(iat + 10)), QStringLiteral("jwt.segments"));
    }

    void otherRefusals()
    {
        checkRefusal(verifyJwt(QString(), ownerKey(), at(iat + 10)), QStringLiteral("jwt.empty"));
        QCOMPARE(verifyJwt(QString(), ownerKey()).error().message, QStringLiteral("No JWT provided."));
        checkRefusal(verifyJwt(QString(9000, QLatin1Char('a')), ownerKey(), at(iat + 10)), QStringLiteral("jwt.too_large"));
        checkRefusal(verifyJwt(vec("es256", "jwt"), QStringLiteral("BC1YLnotakey"), at(iat + 10)),
                     QStringLiteral("jwt.public_key"));
        checkRefusal(verifyJwt(vec("es256", "jwt"), owner.value(QStringLiteral("privateKeyMainnet")).toString(), at(iat + 10)),
                     QStringLiteral("jwt.public_key"));
    }

    void base64UrlIsStrictAndRoundTrips()
    {
        for (int n = 0; n < 70; ++n) {
            QByteArray data(n, Qt::Uninitialized);
            for (int i = 0; i < n; ++i)
                data[i] = char(i * 37 + n);
            const QByteArray enc = base64UrlEncode(data);
            QVERIFY(!enc.contains('='));
            QCOMPARE(base64UrlDecode(enc).value(), data);
        }
        QVERIFY(!base64UrlDecode("A").ok());
        QVERIFY(!base64UrlDecode("AB==").ok());
    }

    void mutatedTokensAreAlwaysRefusedWithAKnownCode()
    {
        // Host input is hostile: single-byte mutations, truncations and splices of a valid
        // token must all be refused (never accepted, never crash) with a documented code.
        const QSet<QString> known{QStringLiteral("jwt.segments"), QStringLiteral("jwt.base64"),
                                  QStringLiteral("jwt.json"), QStringLiteral("jwt.alg"),
                                  QStringLiteral("jwt.claims"), QStringLiteral("jwt.signature_format"),
                                  QStringLiteral("jwt.signature_der"), QStringLiteral("jwt.bad_signature"),
                                  QStringLiteral("jwt.empty")};
        const QByteArray token = vec("es256", "jwt").toLatin1();
        QRandomGenerator rng(20261127);  // fixed seed: the same cases on every run
        const QByteArray alphabet = QByteArrayLiteral("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \xff") + QByteArray(1, char(0));
        int refused = 0;
        for (int i = 0; i < 5000; ++i) {
            QByteArray t = token;
            switch (i % 3) {
            case 0: {
                const int at = int(rng.bounded(t.size()));
                char c;
                do
                    c = alphabet.at(int(rng.bounded(alphabet.size())));
                while (c == t.at(at));
                t[at] = c;
                break;
            }
            case 1:
                t.truncate(int(rng.bounded(t.size())));
                break;
            default: {
                const int from = int(rng.bounded(t.size()));
                t.insert(int(rng.bounded(t.size())), token.mid(from, int(rng.bounded(20)) + 1));
                break;
            }
            }
            const Result<JwtClaims> r = verifyJwt(QString::fromLatin1(t), ownerKey(), at(iat + 10));
            QVERIFY2(!r.ok(), t.constData());
            QVERIFY2(known.contains(r.error().code), qPrintable(r.error().code));
            QCOMPARE(r.error().httpStatus, 400);
            ++refused;
        }
        QCOMPARE(refused, 5000);
    }

    // ------------------------------------------------------------ derived keys

    void derivedKeyNeedsALocalAuthorization()
    {
        const QString token = vec("derivedSigned", "jwt");
        const QString derivedKey = derived.value(QStringLiteral("publicKeyMainnet")).toString();
        Result<JwtClaims> r = verifyJwt(token, ownerKey(), at(iat + 10));
        checkRefusal(r, QStringLiteral("jwt.derived_key_unauthorized"));
        QVERIFY(r.error().message.contains(QLatin1String("chain state")));

        DerivedKeyAuthorizations auth;
        JwtVerifyOptions o = at(iat + 10);
        o.authorizations = &auth;
        checkRefusal(verifyJwt(token, ownerKey(), o), QStringLiteral("jwt.derived_key_unauthorized"));
        // Authorized for someone else: still refused.
        QVERIFY(auth.authorize(QStringLiteral("BC1YLhtBTFXAsKZgoaoYNW8mWAJWdfQjycheAeYjaX46azVrnZfJ94s"), derivedKey).ok());
        checkRefusal(verifyJwt(token, ownerKey(), o), QStringLiteral("jwt.derived_key_unauthorized"));
        // Authorized for this owner (the testnet spelling is the same key): accepted.
        QVERIFY(auth.authorize(owner.value(QStringLiteral("publicKeyTestnet")).toString(), derivedKey).ok());
        Result<JwtClaims> c = verifyJwt(token, ownerKey(), o);
        QVERIFY2(c.ok(), c.ok() ? "" : qPrintable(c.error().toString()));
        QCOMPARE(c->derivedPublicKeyBase58Check, derivedKey);
        checkRefusal(verifyJwt(vec("derivedSigned", "jwtDer"), ownerKey(), o), QStringLiteral("jwt.signature_der"));
        QVERIFY(verifyJwt(vec("derivedSigned", "jwtHighS"), ownerKey(), o).ok());
        // The owner's own signature on a token that names a derived key does not count.
        Result<PrivateKey> ownerPriv = PrivateKey::fromBase58Check(owner.value(QStringLiteral("privateKeyMainnet")).toString());
        JwtSignOptions so;
        so.issuedAt = iat;
        so.derivedPublicKeyBase58Check = derivedKey;
        checkRefusal(verifyJwt(signJwt(ownerPriv.value(), so), ownerKey(), o), QStringLiteral("jwt.bad_signature"));
        auth.revoke(ownerKey(), derivedKey);
        checkRefusal(verifyJwt(token, ownerKey(), o), QStringLiteral("jwt.derived_key_unauthorized"));
        QCOMPARE(auth.size(), 1);
        QCOMPARE(auth.authorize(QStringLiteral("nope"), derivedKey).error().code, QStringLiteral("authorization.owner_key"));
    }

    void derivedKeySignedHere()
    {
        const PrivateKey ownerKeyPair = PrivateKey::generate();
        const PrivateKey derivedKeyPair = PrivateKey::generate();
        const QString ownerText = ownerKeyPair.publicKey().toBase58Check(Network::Testnet);
        JwtSignOptions so;
        so.derivedPublicKeyBase58Check = derivedKeyPair.publicKey().toBase58Check(Network::Testnet);
        const QString token = signJwt(derivedKeyPair, so);
        Result<DerivedKeyAuthorizations> auth = DerivedKeyAuthorizations::fromJson(
            QJsonDocument(QJsonObject{{ownerText, QJsonArray{so.derivedPublicKeyBase58Check}}}).toJson());
        QVERIFY(auth.ok());
        JwtVerifyOptions o;
        o.authorizations = &auth.value();
        QVERIFY(verifyJwt(token, ownerText, o).ok());
        QVERIFY(!verifyJwt(token, ownerText).ok());
        QCOMPARE(DerivedKeyAuthorizations::fromJson("[]").error().code, QStringLiteral("authorization.json"));
        QCOMPARE(DerivedKeyAuthorizations::fromJson(R"({"x":["y"]})").error().code, QStringLiteral("authorization.owner_key"));
    }

    // ------------------------------------------------------------ test key store

    void memoryStoreKeepsKeysForTheProcess()
    {
        auto store = TestKeyStore::inMemory();
        QCOMPARE(store->backend(), KeyStoreBackend::Memory);
        QVERIFY(store->list().isEmpty());
        Result<TestKeyEntry> e = store->create(QStringLiteral("alice"), Network::Testnet);
        QVERIFY2(e.ok(), e.ok() ? "" : qPrintable(e.error().toString()));
        QVERIFY(e->publicKeyBase58Check.startsWith(QLatin1String("tBCK")));
        QCOMPARE(store->list().size(), 1);
        QCOMPARE(store->list().first().name, QStringLiteral("alice"));
        Result<PrivateKey> k = store->load(QStringLiteral("alice"));
        QVERIFY(k.ok());
        QCOMPARE(k->publicKey().toBase58Check(Network::Testnet), e->publicKeyBase58Check);
        // A name is never silently overwritten.
        QCOMPARE(store->create(QStringLiteral("alice"), Network::Mainnet).error().code, QStringLiteral("keystore.exists"));
        QCOMPARE(store->load(QStringLiteral("alice")).value().bytes(), k->bytes());
        QCOMPARE(store->load(QStringLiteral("bob")).error().code, QStringLiteral("keystore.not_found"));
        QCOMPARE(store->create(QStringLiteral("bad/name"), Network::Mainnet).error().code, QStringLiteral("keystore.name"));
        QCOMPARE(store->create(QString(), Network::Mainnet).error().code, QStringLiteral("keystore.name"));
        QVERIFY(store->remove(QStringLiteral("alice")).ok());
        QCOMPARE(store->remove(QStringLiteral("alice")).error().code, QStringLiteral("keystore.not_found"));
        QVERIFY(store->list().isEmpty());
    }

    void asyncCallbacksRunLater()
    {
        auto store = TestKeyStore::inMemory();
        const PrivateKey key = PrivateKey::generate();
        bool stored = false;
        QEventLoop loop;
        store->storeAsync(QStringLiteral("k1"), key, Network::Mainnet, [&](Status st) {
            QVERIFY(st.ok());
            stored = true;
            loop.quit();
        });
        QVERIFY(!stored);  // never inside the call
        loop.exec();
        QVERIFY(stored);
        QByteArray loaded;
        store->loadAsync(QStringLiteral("k1"), [&](Result<PrivateKey> r) {
            if (r)
                loaded = r->bytes();
            loop.quit();
        });
        loop.exec();
        QCOMPARE(loaded, key.bytes());
        Status removed = Error();
        store->removeAsync(QStringLiteral("k1"), [&](Status st) {
            removed = st;
            loop.quit();
        });
        loop.exec();
        QVERIFY(removed.ok());
    }

    void fileStoreIsPrivateAndPersists()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("keys.json"));
        QString pub;
        QByteArray secret;
        {
            Result<std::unique_ptr<TestKeyStore>> store = TestKeyStore::inFile(path);
            QVERIFY(store.ok());
            QVERIFY(store.value()->description().contains(QLatin1String("plain text")));
            Result<TestKeyEntry> e = store.value()->create(QStringLiteral("tester-1"), Network::Mainnet);
            QVERIFY(e.ok());
            pub = e->publicKeyBase58Check;
            secret = store.value()->load(QStringLiteral("tester-1")).value().bytes();
            QVERIFY(store.value()->create(QStringLiteral("tester-2"), Network::Testnet).ok());
        }
        QCOMPARE(QFile::permissions(path), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadUser
                                               | QFileDevice::WriteUser);
        // A second store on the same file (a new run of the program) sees both keys.
        Result<std::unique_ptr<TestKeyStore>> again = TestKeyStore::fromSpec(QStringLiteral("file:") + path);
        QVERIFY(again.ok());
        QCOMPARE(again.value()->backend(), KeyStoreBackend::File);
        const QList<TestKeyEntry> entries = again.value()->list();
        QCOMPARE(entries.size(), 2);
        QCOMPARE(entries[0].name, QStringLiteral("tester-1"));
        QCOMPARE(entries[0].publicKeyBase58Check, pub);
        QCOMPARE(entries[1].network, Network::Testnet);
        QCOMPARE(again.value()->load(QStringLiteral("tester-1")).value().bytes(), secret);
        QVERIFY(again.value()->remove(QStringLiteral("tester-2")).ok());
        QCOMPARE(again.value()->list().size(), 1);
        QCOMPARE(QFile::permissions(path) & (QFileDevice::ReadOther | QFileDevice::ReadGroup), QFileDevice::Permissions());

        // Readable by others: refused, not used.
        QVERIFY(QFile::setPermissions(path, QFile::permissions(path) | QFileDevice::ReadOther));
        Result<std::unique_ptr<TestKeyStore>> open = TestKeyStore::inFile(path);
        QVERIFY(!open.ok());
        QCOMPARE(open.error().code, QStringLiteral("keystore.file_permissions"));
        QVERIFY(open.error().message.contains(QLatin1String("chmod 600")));

        // Not a key file: refused, left untouched.
        const QString other = dir.filePath(QStringLiteral("other.json"));
        QFile f(other);
        QVERIFY(f.open(QIODevice::WriteOnly, QFileDevice::ReadOwner | QFileDevice::WriteOwner));
        f.write("{\"hello\": 1}");
        f.close();
        QCOMPARE(TestKeyStore::inFile(other).error().code, QStringLiteral("keystore.file_format"));
        QFile check(other);
        QVERIFY(check.open(QIODevice::ReadOnly));
        QCOMPARE(check.readAll(), QByteArray("{\"hello\": 1}"));

        QCOMPARE(TestKeyStore::inFile(dir.filePath(QStringLiteral("missing/keys.json"))).error().code,
                 QStringLiteral("keystore.file_path"));
        QCOMPARE(TestKeyStore::fromSpec(QStringLiteral("vault")).error().code, QStringLiteral("keystore.spec"));
        QCOMPARE(TestKeyStore::fromSpec(QStringLiteral("memory")).value()->backend(), KeyStoreBackend::Memory);
    }

    void keychainFailsClearlyWithoutAKeychainService()
    {
        // Headless CI runs no Secret Service; the store must say so and must not fall back
        // by itself, nor leave anything in its QSettings index. Pointing D-Bus at a bus that
        // does not exist makes this hold on a developer's desktop too, and keeps the test
        // away from the developer's real keychain.
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/deso-media-tst-identity-bus");
        QTemporaryDir dir;
        const QString settingsFile = dir.filePath(QStringLiteral("index.ini"));
        auto store = TestKeyStore::keychain(settingsFile, QStringLiteral("deso-media tst_identity"));
        QCOMPARE(store->backend(), KeyStoreBackend::Keychain);
        const PrivateKey key = PrivateKey::generate();
        const Status st = store->store(QStringLiteral("ci-key"), key, Network::Testnet);
        QVERIFY(!st.ok());
        qInfo("keychain here: %s", qPrintable(st.error().toString()));
        QCOMPARE(st.error().code, QStringLiteral("keystore.keychain_unavailable"));
        QVERIFY(st.error().message.contains(QLatin1String("--key-store memory")));
        QVERIFY(st.error().message.contains(QLatin1String("D-Bus")));
        QVERIFY(store->list().isEmpty());
        Result<TestKeyEntry> e = store->create(QStringLiteral("ci-key"), Network::Testnet);
        QCOMPARE(e.error().code, QStringLiteral("keystore.keychain_unavailable"));
        QCOMPARE(store->load(QStringLiteral("ci-key")).error().code, QStringLiteral("keystore.keychain_unavailable"));
        // QSettings never receives a private key (nor, here, anything at all).
        QFile ini(settingsFile);
        if (ini.open(QIODevice::ReadOnly)) {
            const QByteArray text = ini.readAll();
            QVERIFY(!text.contains(key.toBase58Check(Network::Testnet).toLatin1()));
            QVERIFY(!text.contains(key.bytes().toHex()));
        }
    }
};

QTEST_GUILESS_MAIN(TestIdentity)
#include "tst_identity.moc"
