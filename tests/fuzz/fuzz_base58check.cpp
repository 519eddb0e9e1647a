// Base58 / Base58Check decoding of DeSo keys (the UserPublicKeyBase58Check form
// field, derived keys in JWTs, key files). Properties: what decodes re-encodes to
// the same text; a decoded key has the payload size of its kind; public keys
// that decode are parsed by libsecp256k1 without harm; encoding any bytes and
// decoding them gives the bytes back.
#include "fuzzcheck.h"
#include "identity/base58check.h"
#include "identity/keys.h"

#include <cstdint>

using namespace deso::identity;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    for (const QString &text : {QString::fromLatin1(bytes), QString::fromUtf8(bytes)}) {
        if (const auto plain = decodeBase58(text); plain.ok())
            FUZZ_CHECK(encodeBase58(plain.value()) == text);
        const auto key = decodeBase58Check(text);
        if (!key.ok()) {
            FUZZ_CHECK(key.error().httpStatus == 400);
            FUZZ_CHECK(key.error().code.startsWith(QLatin1String("base58.")));
        } else {
            FUZZ_CHECK(key->payload.size() == (key->kind == KeyKind::Public ? 33 : 32));
            FUZZ_CHECK(encodeBase58Check(key->payload, key->network, key->kind) == text.trimmed());
            if (key->kind == KeyKind::Public) {
                const auto pub = PublicKey::fromBase58Check(text);
                if (pub.ok())
                    FUZZ_CHECK(pub->bytes() == key->payload);
            }
        }
    }
    // Any bytes survive a round trip through the encoder.
    const auto back = decodeBase58(encodeBase58(bytes));
    FUZZ_CHECK(back.ok() && back.value() == bytes);
    if (size == 33 || size == 32) {
        const KeyKind kind = size == 33 ? KeyKind::Public : KeyKind::Private;
        for (Network n : {Network::Mainnet, Network::Testnet}) {
            const auto key = decodeBase58Check(encodeBase58Check(bytes, n, kind));
            FUZZ_CHECK(key.ok() && key->payload == bytes && key->network == n && key->kind == kind);
        }
    }
    return 0;
}
