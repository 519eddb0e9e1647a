#pragma once
// deso-media's node client subcommands (no window, no display needed):
//   deso-media upload-image FILE --node URL --public-key PK (--jwt JWT | --key NAME)
//   deso-media upload-video FILE --node URL [--chunk-size N]
//   deso-media video-status ID --node URL [--wait]
//   deso-media video-dimensions ID --node URL
//   deso-media tiktok ID_OR_LINK --node URL
// each with --json. Exit codes: see ClientExit.

#include <QStringList>

enum ClientExit : int {
    ExitOk = 0,
    ExitLocalError = 1,    // a local file is missing or unreadable, a key is unknown
    ExitUsage = 2,         // bad command line
    ExitNetwork = 3,       // the node could not be reached (refused, reset, timed out)
    ExitServerRefused = 4, // the node answered with an HTTP error (its {"error"} is printed)
    ExitNotReady = 5,      // video-status --wait: error state or not ready before the timeout
};

// True when argv[1] names a client subcommand: decided before any application object.
bool isClientCommand(int argc, char **argv);

// Runs the subcommand in arguments (QCoreApplication::arguments()) and returns the exit code.
int runClientCommand(const QStringList &arguments);
