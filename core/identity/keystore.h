#pragma once
// Test keys for testers: named secp256k1 key pairs whose private keys live in the
// OS keychain (QtKeychain: Secret Service / KWallet, macOS Keychain, Windows
// Credential Store). Only names and public keys are listed in QSettings; private
// keys never go to QSettings or logs.
//
// Without a keychain service (headless, no D-Bus Secret Service) the keychain
// backend fails with "keystore.keychain_unavailable". Nothing falls back silently:
// the user must choose another backend explicitly, either memory (lost on exit) or
// a file at a path they give (plain text, 0600, for testing only).

#include "common/result.h"
#include "identity/keys.h"

#include <QList>
#include <QMap>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

class QSettings;

namespace deso::identity {

enum class KeyStoreBackend { Keychain, Memory, File };

struct TestKeyEntry {
    QString name;
    QString publicKeyBase58Check;  // in the entry's network
    Network network = Network::Testnet;
};

class TestKeyStore : public QObject {
    Q_OBJECT
public:
    // Private keys in the OS keychain under keychainService; the name index in
    // settingsFile (an INI path), or the application's default QSettings when empty.
    static std::unique_ptr<TestKeyStore> keychain(const QString &settingsFile = {},
                                                  const QString &keychainService = defaultKeychainService());
    // Keys held in this process only, gone when it exits.
    static std::unique_ptr<TestKeyStore> inMemory();
    // Keys as plain text JSON at path (created 0600 on first write). Refuses an
    // existing file that group or others can read. For testing only.
    static Result<std::unique_ptr<TestKeyStore>> inFile(const QString &path);

    // "keychain", "memory" or "file:PATH" — the spelling the command line accepts.
    static Result<std::unique_ptr<TestKeyStore>> fromSpec(const QString &spec);

    static QString defaultKeychainService();

    ~TestKeyStore() override;

    KeyStoreBackend backend() const { return m_backend; }
    QString description() const;  // one line for the user: where keys go

    // Names: 1 to 64 characters of A-Z a-z 0-9 . _ -
    static Status checkName(const QString &name);

    // Asynchronous API. Callbacks run later on this object's thread, never inside the call.
    using StatusCallback = std::function<void(Status)>;
    using KeyCallback = std::function<void(Result<PrivateKey>)>;
    void storeAsync(const QString &name, const PrivateKey &key, Network network, StatusCallback done);
    void loadAsync(const QString &name, KeyCallback done);
    void removeAsync(const QString &name, StatusCallback done);

    // Blocking conveniences for the command line: run a local event loop until the
    // keychain answers (or timeoutMs passes, since a locked keychain may prompt).
    Status store(const QString &name, const PrivateKey &key, Network network);
    Result<PrivateKey> load(const QString &name);
    Status remove(const QString &name);
    // Generates a key pair, stores it under name, returns its listing entry.
    Result<TestKeyEntry> create(const QString &name, Network network);

    QList<TestKeyEntry> list() const;
    Result<TestKeyEntry> find(const QString &name) const;

    void setTimeoutMs(int ms) { m_timeoutMs = ms; }

private:
    explicit TestKeyStore(KeyStoreBackend backend);

    struct Secret {
        TestKeyEntry entry;
        QString privateKeyBase58Check;
    };

    // Memory and file backends work synchronously.
    Status storeLocal(const QString &name, const PrivateKey &key, Network network);
    Result<PrivateKey> loadLocal(const QString &name);
    Status removeLocal(const QString &name);
    Result<QMap<QString, Secret>> readFile() const;
    Status writeFile(const QMap<QString, Secret> &secrets) const;

    void writeIndex(const TestKeyEntry &entry);
    void removeIndex(const QString &name);

    KeyStoreBackend m_backend;
    QString m_service;
    QString m_path;                         // file backend
    std::unique_ptr<QSettings> m_settings;  // keychain backend's name index
    QMap<QString, Secret> m_memory;         // memory backend
    int m_timeoutMs = 120000;
};

} // namespace deso::identity
