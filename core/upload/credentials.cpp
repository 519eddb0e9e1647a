#include "upload/credentials.h"

#include "identity/jwt.h"
#include "identity/keystore.h"

#include <QDateTime>
#include <QObject>

namespace deso::upload {

Credentials signWithKey(const identity::PrivateKey &key, const QString &publicKey)
{
    identity::JwtSignOptions options;
    options.issuedAt = QDateTime::currentSecsSinceEpoch();
    options.lifetimeSeconds = kTestJwtLifetimeSeconds;
    return Credentials{publicKey, identity::signJwt(key, options)};
}

Result<Credentials> signWithTestKey(identity::TestKeyStore &store, const QString &name, const QString &publicKeyOverride)
{
    Result<identity::PrivateKey> key = store.load(name);
    if (!key)
        return key.error();
    QString publicKey = publicKeyOverride;
    if (publicKey.isEmpty()) {
        const Result<identity::TestKeyEntry> entry = store.find(name);
        publicKey = entry ? entry->publicKeyBase58Check : key->publicKey().toBase58Check(identity::Network::Mainnet);
    }
    return signWithKey(key.value(), publicKey);
}

Result<Credentials> checkPasted(const QString &publicKey, const QString &jwt)
{
    const QString key = publicKey.trimmed();
    const QString token = jwt.trimmed();
    if (key.isEmpty() || token.isEmpty())
        return Error(QStringLiteral("identity.missing"), QObject::tr("Image uploads need a public key and a JWT."));
    const auto claims = identity::verifyJwt(token, key, identity::JwtVerifyOptions{QDateTime::currentSecsSinceEpoch(), 0, nullptr});
    if (!claims)
        return Error(claims.error().code, QObject::tr("The pasted JWT cannot be used: %1").arg(claims.error().message));
    return Credentials{key, token};
}

} // namespace deso::upload
