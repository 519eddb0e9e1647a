#pragma once
// `deso-media --serve`: the local endpoint host without a window. Prints the
// request log to stdout, binds 127.0.0.1 unless told otherwise (a non-loopback
// address needs --allow-remote) and stops cleanly on SIGINT/SIGTERM.

#include <QString>

class QCommandLineParser;

struct ServeOptions {
    QString bind = QStringLiteral("127.0.0.1");
    quint16 port = 8089;
    QString dataDir; // empty: AppDataLocation + "/host"
    bool allowRemote = false;
    bool productionChunkRules = false;
    bool trustForwarded = false;
    QString derivedKeyAuthorizations; // JSON file of accepted derived keys
    qint64 mediaMaxBytes = 0;         // largest media-server video upload; 0: the host's default (250 MiB)
};

// Adds --port, --bind, --data-dir, --allow-remote, --production-chunk-rules and
// --trust-forwarded, --media-max-bytes (the --serve switch itself is main's; --derived-key-authorizations
// is app/testkeys.cpp's and is honoured here too).
void addServeOptions(QCommandLineParser &parser);
// Reads those options and runs the host; returns the process exit code.
int runServeCommand(const QCommandLineParser &parser);
// Runs until SIGINT/SIGTERM; returns the process exit code.
int runServe(const ServeOptions &options);
