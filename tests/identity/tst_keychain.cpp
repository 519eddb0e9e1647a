// The OS-keychain backend of TestKeyStore against a real Secret Service: ctest runs this
// through run-with-keyring.sh, which starts a private D-Bus session with gnome-keyring.
#include "identity/jwt.h"
#include "identity/keystore.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace deso;
using namespace deso::identity;

class TestKeychain : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    const QString m_service = QStringLiteral("deso-media tst_keychain");

    QString settingsFile(const char *name) const { return m_dir.filePath(QLatin1String(name)); }

    static QByteArray readAll(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(!qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"),
                 "run this test through tests/identity/run-with-keyring.sh (ctest does)");
        QVERIFY(m_dir.isValid());
    }

    void roundTripThroughTheKeychain()
    {
        auto store = TestKeyStore::keychain(settingsFile("index.ini"), m_service);
        Result<TestKeyEntry> e = store->create(QStringLiteral("alice"), Network::Testnet);
        QVERIFY2(e.ok(), e.ok() ? "" : qPrintable(e.error().toString()));
        QCOMPARE(store->list().size(), 1);
        QCOMPARE(store->list().first().publicKeyBase58Check, e->publicKeyBase58Check);

        Result<PrivateKey> key = store->load(QStringLiteral("alice"));
        QVERIFY2(key.ok(), key.ok() ? "" : qPrintable(key.error().toString()));
        QCOMPARE(key->publicKey().toBase58Check(Network::Testnet), e->publicKeyBase58Check);
        QVERIFY(verifyJwt(signJwt(key.value()), e->publicKeyBase58Check).ok());

        // The index holds the name and public key, never the private key.
        const QByteArray index = readAll(settingsFile("index.ini"));
        QVERIFY(index.contains(e->publicKeyBase58Check.toLatin1()));
        QVERIFY(!index.contains(key->toBase58Check(Network::Testnet).toLatin1()));
        QVERIFY(!index.contains(key->bytes().toHex()));

        // A second store object (a later run) finds it through the same index and keychain.
        auto again = TestKeyStore::keychain(settingsFile("index.ini"), m_service);
        QCOMPARE(again->load(QStringLiteral("alice")).value().bytes(), key->bytes());
        QCOMPARE(again->create(QStringLiteral("alice"), Network::Mainnet).error().code, QStringLiteral("keystore.exists"));
        QCOMPARE(again->load(QStringLiteral("alice")).value().bytes(), key->bytes());

        QVERIFY(again->remove(QStringLiteral("alice")).ok());
        QCOMPARE(again->load(QStringLiteral("alice")).error().code, QStringLiteral("keystore.not_found"));
        QCOMPARE(again->remove(QStringLiteral("alice")).error().code, QStringLiteral("keystore.not_found"));
        QVERIFY(again->list().isEmpty());
    }

    void neverOverwritesAKeyMissingFromTheIndex()
    {
        // Settings were reset but the keychain still holds "bob": storing must refuse.
        auto first = TestKeyStore::keychain(settingsFile("first.ini"), m_service);
        QVERIFY(first->create(QStringLiteral("bob"), Network::Mainnet).ok());
        const QByteArray original = first->load(QStringLiteral("bob")).value().bytes();
        auto resetIndex = TestKeyStore::keychain(settingsFile("reset.ini"), m_service);
        QVERIFY(resetIndex->list().isEmpty());
        QCOMPARE(resetIndex->create(QStringLiteral("bob"), Network::Mainnet).error().code,
                 QStringLiteral("keystore.exists"));
        QCOMPARE(first->load(QStringLiteral("bob")).value().bytes(), original);
        // Removing through the reset index still deletes the secret.
        QVERIFY(resetIndex->remove(QStringLiteral("bob")).ok());
        QCOMPARE(first->load(QStringLiteral("bob")).error().code, QStringLiteral("keystore.not_found"));
        // The first index's stale entry is cleaned up by its own remove.
        QVERIFY(first->remove(QStringLiteral("bob")).ok());
        QVERIFY(first->list().isEmpty());
    }

    void asyncApiAnswersThroughTheEventLoop()
    {
        auto store = TestKeyStore::keychain(settingsFile("async.ini"), m_service);
        const PrivateKey key = PrivateKey::generate();
        std::optional<Status> stored;
        QEventLoop loop;
        store->storeAsync(QStringLiteral("carol"), key, Network::Mainnet, [&](Status st) {
            stored = st;
            loop.quit();
        });
        QVERIFY(!stored.has_value());
        loop.exec();
        QVERIFY(stored->ok());
        QByteArray loaded;
        store->loadAsync(QStringLiteral("carol"), [&](Result<PrivateKey> r) {
            if (r)
                loaded = r->bytes();
            loop.quit();
        });
        loop.exec();
        QCOMPARE(loaded, key.bytes());
        std::optional<Status> removed;
        store->removeAsync(QStringLiteral("carol"), [&](Status st) {
            removed = st;
            loop.quit();
        });
        loop.exec();
        QVERIFY(removed->ok());
    }

    void commandLineUsesTheKeychainByDefault()
    {
        auto run = [](const QStringList &args) {
            QProcess p;
            p.start(QStringLiteral(DESO_MEDIA_BIN), args);
            p.waitForFinished(30000);
            return std::pair{p.exitCode(), QString::fromUtf8(p.readAllStandardOutput())};
        };
        const auto [createCode, created] = run({QStringLiteral("--create-test-key"), QStringLiteral("cli-key")});
        QCOMPARE(createCode, 0);
        const QString pub = created.trimmed().split(QLatin1Char('\t')).value(2);
        QVERIFY(pub.startsWith(QLatin1String("BC1YL")));
        const auto [signCode, token] = run({QStringLiteral("--sign-jwt"), QStringLiteral("cli-key")});
        QCOMPARE(signCode, 0);
        QVERIFY(verifyJwt(token.trimmed(), pub).ok());
        QCOMPARE(run({QStringLiteral("--delete-test-key"), QStringLiteral("cli-key")}).first, 0);
        QCOMPARE(run({QStringLiteral("--sign-jwt"), QStringLiteral("cli-key")}).first, 2);
    }
};

QTEST_GUILESS_MAIN(TestKeychain)
#include "tst_keychain.moc"
