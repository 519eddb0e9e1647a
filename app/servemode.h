#pragma once
// `deso-media --serve`: the local endpoint host without a window. Prints the
// request log to stdout, binds 127.0.0.1 unless told otherwise (a non-loopback
// address needs --allow-remote) and stops cleanly on SIGINT/SIGTERM.

#include "host/http/httplimits.h"

#include <QString>
#include <QStringList>

#include <optional>

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
    deso::host::HttpLimits limits;    // --head-timeout, --body-timeout, ...
    QStringList allowedOrigins;       // --allow-origin (repeatable)
    QStringList allowedHosts;         // --allow-host (repeatable)
    qint64 maxStorageBytes = -1;      // --max-storage; -1: half the free space
    int maxUnfinishedUploads = 100;   // --max-unfinished-uploads, per client address; 0: none
    QString storage;                  // --storage dir:PATH | s3://BUCKET[/PREFIX]; empty: the data dir
    QString s3Endpoint;               // --s3-endpoint URL (empty: AWS)
    QString s3Region;                 // --s3-region (empty: AWS_REGION, ~/.aws/config, us-east-1)
    QString publicBaseUrl;            // --public-base-url: ImageURLs start with it
};

// Adds --port, --bind, --data-dir, --allow-remote, --production-chunk-rules,
// --trust-forwarded, --media-max-bytes, the front door's limits (--head-timeout, --body-timeout,
// --send-timeout, --keepalive-timeout, --max-connections) and the browser and
// storage bounds (--allow-origin, --allow-host, --max-storage), where things are kept
// (--storage, --s3-endpoint, --s3-region, --public-base-url) (the --serve switch itself is main's; --derived-key-authorizations
// is app/testkeys.cpp's and is honoured here too).
void addServeOptions(QCommandLineParser &parser);
// "500M", "20G", "1048576", "0": bytes (K/M/G/T are powers of 1024).
std::optional<qint64> parseStorageSize(const QString &text);
// Reads those options and runs the host; returns the process exit code.
int runServeCommand(const QCommandLineParser &parser);
// Runs until SIGINT/SIGTERM; returns the process exit code.
int runServe(const ServeOptions &options);
