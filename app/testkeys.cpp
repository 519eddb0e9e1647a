#include "testkeys.h"

#include "identity/jwt.h"
#include "identity/keystore.h"

#include <QCommandLineParser>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <optional>

using namespace deso::identity;

namespace {

const QCommandLineOption &keyStoreOption()
{
    static const QCommandLineOption o(QStringLiteral("key-store"),
        QStringLiteral("Where test private keys live: keychain (the OS keychain, default), memory "
                       "(this run only) or file:PATH (plain text, 0600, for testing only)."),
        QStringLiteral("store"), QStringLiteral("keychain"));
    return o;
}
const QCommandLineOption &createOption()
{
    static const QCommandLineOption o(QStringLiteral("create-test-key"),
        QStringLiteral("Create a test key pair <name>, store its private key, print its public key."),
        QStringLiteral("name"));
    return o;
}
const QCommandLineOption &networkOption()
{
    static const QCommandLineOption o(QStringLiteral("key-network"),
        QStringLiteral("Network for --create-test-key: mainnet (default) or testnet."), QStringLiteral("network"),
        QStringLiteral("mainnet"));
    return o;
}
const QCommandLineOption &listOption()
{
    static const QCommandLineOption o(QStringLiteral("list-test-keys"),
        QStringLiteral("List test keys: name, network, public key."));
    return o;
}
const QCommandLineOption &deleteOption()
{
    static const QCommandLineOption o(QStringLiteral("delete-test-key"),
        QStringLiteral("Delete the test key <name> from the key store."), QStringLiteral("name"));
    return o;
}
const QCommandLineOption &signOption()
{
    static const QCommandLineOption o(QStringLiteral("sign-jwt"),
        QStringLiteral("Print a JWT (ES256 on secp256k1, valid 30 minutes) signed with the test key <name>."),
        QStringLiteral("name"));
    return o;
}

const QCommandLineOption &verifyOption()
{
    static const QCommandLineOption o(QStringLiteral("verify-jwt"),
        QStringLiteral("Verify <token> for --jwt-public-key as the local host would; print its claims or the error."),
        QStringLiteral("token"));
    return o;
}
const QCommandLineOption &publicKeyOption()
{
    static const QCommandLineOption o(QStringLiteral("jwt-public-key"),
        QStringLiteral("The owner's public key (Base58Check) for --verify-jwt."), QStringLiteral("key"));
    return o;
}
const QCommandLineOption &authorizationsOption()
{
    static const QCommandLineOption o(QStringLiteral("derived-key-authorizations"),
        QStringLiteral("JSON file {\"<owner key>\": [\"<derived key>\", ...]} of derived keys --verify-jwt accepts."),
        QStringLiteral("file"));
    return o;
}

} // namespace

void addTestKeyOptions(QCommandLineParser &parser)
{
    parser.addOption(keyStoreOption());
    parser.addOption(createOption());
    parser.addOption(networkOption());
    parser.addOption(listOption());
    parser.addOption(deleteOption());
    parser.addOption(signOption());
    parser.addOption(verifyOption());
    parser.addOption(publicKeyOption());
    parser.addOption(authorizationsOption());
}

bool isTestKeyCommand(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        for (const char *name : {"--create-test-key", "--list-test-keys", "--delete-test-key", "--sign-jwt", "--verify-jwt"}) {
            if (arg == name || arg.startsWith(QByteArray(name) + '='))
                return true;
        }
    }
    return false;
}

int runTestKeyCommands(const QCommandLineParser &parser)
{
    QTextStream out(stdout);
    QTextStream err(stderr);
    auto fail = [&err](const deso::Error &e, int code) {
        err << "deso-media: " << e.message << " (" << e.code << ")\n";
        return code;
    };

    if (parser.isSet(verifyOption())) {
        // Host-side check of a token from any client, as the local host would do it.
        JwtVerifyOptions options;
        std::optional<DerivedKeyAuthorizations> authorizations;
        if (parser.isSet(authorizationsOption())) {
            auto loaded = DerivedKeyAuthorizations::fromFile(parser.value(authorizationsOption()));
            if (!loaded)
                return fail(loaded.error(), 64);
            authorizations = std::move(loaded.value());
            options.authorizations = &*authorizations;
        }
        auto claims = verifyJwt(parser.value(verifyOption()), parser.value(publicKeyOption()), options);
        if (!claims) {
            // The body the host would send back with HTTP 400.
            out << QJsonDocument(QJsonObject{{QStringLiteral("error"), claims.error().message}})
                       .toJson(QJsonDocument::Compact)
                << '\n';
            return fail(claims.error(), 1);
        }
        out << "valid: iat " << claims->iat << ", exp " << claims->exp;
        if (!claims->derivedPublicKeyBase58Check.isEmpty())
            out << ", derived key " << claims->derivedPublicKeyBase58Check;
        out << '\n';
        return 0;
    }

    Network network = Network::Mainnet;
    const QString networkText = parser.value(networkOption());
    if (networkText == QLatin1String("testnet"))
        network = Network::Testnet;
    else if (networkText != QLatin1String("mainnet")) {
        err << "deso-media: --key-network must be mainnet or testnet, not \"" << networkText << "\".\n";
        return 64;
    }
    auto store = TestKeyStore::fromSpec(parser.value(keyStoreOption()));
    if (!store)
        return fail(store.error(), 64);
    TestKeyStore &keys = *store.value();
    err << "Test keys: " << keys.description() << "\n";
    err.flush();

    // In order, so that "--key-store memory --create-test-key a --sign-jwt a" works in one run.
    for (const QString &name : parser.values(createOption())) {
        auto entry = keys.create(name, network);
        if (!entry)
            return fail(entry.error(), 2);
        out << entry->name << '\t' << networkName(entry->network) << '\t' << entry->publicKeyBase58Check << '\n';
    }
    for (const QString &name : parser.values(signOption())) {
        auto key = keys.load(name);
        if (!key)
            return fail(key.error(), 2);
        out << signJwt(key.value()) << '\n';
    }
    for (const QString &name : parser.values(deleteOption())) {
        if (auto st = keys.remove(name); !st)
            return fail(st.error(), 2);
        err << "Deleted test key " << name << ".\n";
    }
    if (parser.isSet(listOption())) {
        for (const TestKeyEntry &e : keys.list())
            out << e.name << '\t' << networkName(e.network) << '\t' << e.publicKeyBase58Check << '\n';
    }
    return 0;
}
