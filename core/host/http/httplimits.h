#pragma once
// The front door's limits, all in one place (nginx's defaults are the reference):
// `deso-media --serve` flags and the GUI's host panel set them through HostConfig.

#include <QtGlobal>

namespace deso::host {

struct HttpLimits {
    qsizetype maxHeadBytes = 16 * 1024;      // request line + headers; more is 431
    int headTimeoutMs = 30 * 1000;           // the whole head must arrive in this (408)
    int bodyStallTimeoutMs = 60 * 1000;      // no body byte for this long: closed
    int sendStallTimeoutMs = 60 * 1000;      // the peer reads nothing of our answer for this long
    int keepAliveIdleMs = 75 * 1000;         // an idle kept-alive connection is closed
    int maxConnections = 1024;               // beyond: the oldest idle connections go first
};

} // namespace deso::host
