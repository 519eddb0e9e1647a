#pragma once
// Who signs an image upload: a public key plus a JWT, either signed here with a local
// test key (a fresh 30-minute JWT per upload) or pasted from elsewhere. The window and
// the command line both get their credentials from these functions.

#include "common/result.h"
#include "identity/keys.h"

#include <QString>

#include <functional>

namespace deso::identity {
class TestKeyStore;
}

namespace deso::upload {

struct Credentials {
    QString publicKey;  // Base58Check
    QString jwt;
};

// Asked each time an image upload is about to be sent.
using CredentialsSource = std::function<Result<Credentials>()>;

inline constexpr qint64 kTestJwtLifetimeSeconds = 1800;  // the JS SDK's lifetime

// A fresh JWT signed with key, for publicKey (the key's public key in the chosen network).
Credentials signWithKey(const identity::PrivateKey &key, const QString &publicKey);

// The test key `name` from store (blocking: the keychain may take a moment), signing for
// its listed public key, or for publicKeyOverride when given.
Result<Credentials> signWithTestKey(identity::TestKeyStore &store, const QString &name,
                                    const QString &publicKeyOverride = {});

// A pasted public key and JWT, checked now (signature, expiry) so that a stale token is
// refused with its reason before anything is sent.
Result<Credentials> checkPasted(const QString &publicKey, const QString &jwt);

} // namespace deso::upload
