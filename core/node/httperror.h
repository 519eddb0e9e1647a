#pragma once
// One way to turn a finished QNetworkReply into a deso::Error, shared by the node client
// and the tus uploader: the node's {"error"} sentence verbatim when it sent one, else the
// HTTP status, else the network error.

#include "common/result.h"

#include <QByteArray>

class QNetworkReply;
class QUrl;

namespace deso::node {

// Machine codes used for reply errors; the command line maps them to exit codes.
inline constexpr char kNetworkErrorCode[] = "network.error";   // no HTTP answer at all
inline constexpr char kServerRefusedCode[] = "server.refused"; // HTTP 4xx/5xx

// HTTP status of the reply (0 when none arrived).
int httpStatus(const QNetworkReply *reply);

// True when the reply carries a 2xx answer and no network error.
bool replySucceeded(const QNetworkReply *reply);

// The error of a failed reply. `body` is what was read from it; `what` names the
// request for the fallback sentences ("Uploading the image").
Error replyError(const QNetworkReply *reply, const QByteArray &body, const QString &what);

// The same for an answer read without QNetworkReply (tus::SocketPatchSender): `status`
// 0 means no answer arrived and `networkError` says why.
Error answerError(int status, const QString &reason, const QByteArray &body, const QString &networkError,
                  const QUrl &url, const QString &what);

// True for errors where no HTTP answer arrived (connection refused, reset, timeout...).
bool isNetworkError(const Error &error);

} // namespace deso::node
