#pragma once
// Base58Check as DeSo writes keys: prefix(3 bytes) ‖ payload ‖ first 4 bytes of
// SHA-256(SHA-256(prefix ‖ payload)), in the Bitcoin alphabet.

#include "common/result.h"

#include <QByteArray>
#include <QString>

namespace deso::identity {

enum class Network { Mainnet, Testnet };
enum class KeyKind { Public, Private };

struct DecodedKey {
    QByteArray payload;  // 33 bytes (compressed public key) or 32 bytes (private key)
    Network network = Network::Mainnet;
    KeyKind kind = KeyKind::Public;
};

// The 3-byte prefix DeSo uses for this network and kind of key.
QByteArray base58CheckPrefix(Network network, KeyKind kind);

// Plain Base58 (Bitcoin alphabet), no checksum. Exposed for tests and tools.
QString encodeBase58(const QByteArray &bytes);
Result<QByteArray> decodeBase58(const QString &text);

// Decodes a DeSo key. Distinct error codes: "base58.empty", "base58.bad_character",
// "base58.wrong_length", "base58.checksum", "base58.wrong_prefix" (all httpStatus 400).
Result<DecodedKey> decodeBase58Check(const QString &text);

// Encodes payload with the prefix for network and kind, plus the checksum.
QString encodeBase58Check(const QByteArray &payload, Network network, KeyKind kind);

QString networkName(Network network);  // "mainnet" / "testnet"

} // namespace deso::identity
