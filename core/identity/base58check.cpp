#include "identity/base58check.h"

#include <QCryptographicHash>

#include <array>

namespace deso::identity {

namespace {

constexpr char kAlphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr int kPrefixSize = 3;
constexpr int kChecksumSize = 4;
constexpr int kPublicKeySize = 33;
constexpr int kPrivateKeySize = 32;

QByteArray checksumOf(const QByteArray &data)
{
    const QByteArray once = QCryptographicHash::hash(data, QCryptographicHash::Sha256);
    return QCryptographicHash::hash(once, QCryptographicHash::Sha256).left(kChecksumSize);
}

Error base58Error(const QString &code, const QString &message)
{
    return Error(QStringLiteral("base58.") + code, message, 400);
}

struct PrefixEntry {
    Network network;
    KeyKind kind;
    std::array<unsigned char, 3> bytes;
};

constexpr PrefixEntry kPrefixes[] = {
    {Network::Mainnet, KeyKind::Public, {0xcd, 0x14, 0x00}},
    {Network::Testnet, KeyKind::Public, {0x11, 0xc2, 0x00}},
    {Network::Mainnet, KeyKind::Private, {0x35, 0x00, 0x00}},
    {Network::Testnet, KeyKind::Private, {0x4f, 0x06, 0x1b}},
};

} // namespace

QByteArray base58CheckPrefix(Network network, KeyKind kind)
{
    for (const auto &p : kPrefixes) {
        if (p.network == network && p.kind == kind)
            return QByteArray(reinterpret_cast<const char *>(p.bytes.data()), kPrefixSize);
    }
    return {};
}

QString networkName(Network network)
{
    return network == Network::Mainnet ? QStringLiteral("mainnet") : QStringLiteral("testnet");
}

QString encodeBase58(const QByteArray &bytes)
{
    int zeros = 0;
    while (zeros < bytes.size() && bytes.at(zeros) == 0)
        ++zeros;
    // Big-number division by 58, base 256 digits in, base 58 digits out (little end first).
    QByteArray digits;
    digits.reserve(bytes.size() * 138 / 100 + 1);
    for (int i = zeros; i < bytes.size(); ++i) {
        int carry = static_cast<unsigned char>(bytes.at(i));
        for (char &d : digits) {
            carry += static_cast<unsigned char>(d) * 256;
            d = static_cast<char>(carry % 58);
            carry /= 58;
        }
        while (carry > 0) {
            digits.append(static_cast<char>(carry % 58));
            carry /= 58;
        }
    }
    QString out(zeros, QLatin1Char('1'));
    out.reserve(zeros + digits.size());
    for (auto it = digits.crbegin(); it != digits.crend(); ++it)
        out.append(QLatin1Char(kAlphabet[static_cast<unsigned char>(*it)]));
    return out;
}

Result<QByteArray> decodeBase58(const QString &text)
{
    int zeros = 0;
    while (zeros < text.size() && text.at(zeros) == QLatin1Char('1'))
        ++zeros;
    QByteArray bytes;  // base 256, little end first
    bytes.reserve(text.size() * 733 / 1000 + 1);
    for (int i = zeros; i < text.size(); ++i) {
        const QChar c = text.at(i);
        const char *pos = c.unicode() < 128 && c.unicode() != 0
            ? std::char_traits<char>::find(kAlphabet, 58, static_cast<char>(c.unicode()))
            : nullptr;
        if (!pos) {
            return base58Error(QStringLiteral("bad_character"),
                               QStringLiteral("The key contains the character '%1' at position %2, "
                                              "which is not in the Base58 alphabet.")
                                   .arg(c)
                                   .arg(i + 1));
        }
        int carry = static_cast<int>(pos - kAlphabet);
        for (char &b : bytes) {
            carry += static_cast<unsigned char>(b) * 58;
            b = static_cast<char>(carry & 0xff);
            carry >>= 8;
        }
        while (carry > 0) {
            bytes.append(static_cast<char>(carry & 0xff));
            carry >>= 8;
        }
    }
    QByteArray out(zeros, '\0');
    out.reserve(zeros + bytes.size());
    for (auto it = bytes.crbegin(); it != bytes.crend(); ++it)
        out.append(*it);
    return out;
}

Result<DecodedKey> decodeBase58Check(const QString &text)
{
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return base58Error(QStringLiteral("empty"), QStringLiteral("No key was given."));
    // Keys are short; refuse long input before the quadratic decode.
    if (trimmed.size() > 128) {
        return base58Error(QStringLiteral("wrong_length"),
                           QStringLiteral("The key is %1 characters long; a DeSo key is 51 to 55 characters.")
                               .arg(trimmed.size()));
    }
    Result<QByteArray> raw = decodeBase58(trimmed);
    if (!raw)
        return raw.error();
    const QByteArray &bytes = raw.value();
    if (bytes.size() < kPrefixSize + kChecksumSize + 1) {
        return base58Error(QStringLiteral("wrong_length"),
                           QStringLiteral("The key decodes to %1 bytes, too short for a DeSo key.")
                               .arg(bytes.size()));
    }
    const QByteArray body = bytes.left(bytes.size() - kChecksumSize);
    if (checksumOf(body) != bytes.right(kChecksumSize)) {
        return base58Error(QStringLiteral("checksum"),
                           QStringLiteral("The key's checksum does not match; it was probably mistyped or truncated."));
    }
    const QByteArray prefix = body.left(kPrefixSize);
    for (const auto &p : kPrefixes) {
        if (prefix != QByteArray(reinterpret_cast<const char *>(p.bytes.data()), kPrefixSize))
            continue;
        DecodedKey key;
        key.payload = body.mid(kPrefixSize);
        key.network = p.network;
        key.kind = p.kind;
        const int expected = p.kind == KeyKind::Public ? kPublicKeySize : kPrivateKeySize;
        if (key.payload.size() != expected) {
            return base58Error(QStringLiteral("wrong_length"),
                               QStringLiteral("The %1 %2 key holds %3 bytes; it must hold %4.")
                                   .arg(networkName(p.network),
                                        p.kind == KeyKind::Public ? QStringLiteral("public")
                                                                  : QStringLiteral("private"))
                                   .arg(key.payload.size())
                                   .arg(expected));
        }
        return key;
    }
    return base58Error(QStringLiteral("wrong_prefix"),
                       QStringLiteral("The key's prefix %1 is not a DeSo mainnet or testnet key prefix.")
                           .arg(QString::fromLatin1(prefix.toHex())));
}

QString encodeBase58Check(const QByteArray &payload, Network network, KeyKind kind)
{
    QByteArray body = base58CheckPrefix(network, kind) + payload;
    return encodeBase58(body + checksumOf(body));
}

} // namespace deso::identity
