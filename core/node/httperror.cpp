#include "node/httperror.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>

namespace deso::node {

int httpStatus(const QNetworkReply *reply)
{
    return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
}

bool replySucceeded(const QNetworkReply *reply)
{
    const int status = httpStatus(reply);
    return status >= 200 && status < 300 && reply->error() == QNetworkReply::NoError;
}

Error replyError(const QNetworkReply *reply, const QByteArray &body, const QString &what)
{
    return answerError(httpStatus(reply), reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString(), body,
                       reply->errorString(), reply->url(), what);
}

Error answerError(int status, const QString &reason, const QByteArray &body, const QString &networkError,
                  const QUrl &url, const QString &what)
{
    if (status == 0) {
        return Error(QString::fromLatin1(kNetworkErrorCode),
                     QStringLiteral("%1 failed: %2 (%3).")
                         .arg(what, networkError, url.toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery)));
    }
    // The node answers {"error": "<sentence>"}; pass that sentence on untouched.
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    const QString sentence = doc.object().value(QStringLiteral("error")).toString();
    if (!sentence.isEmpty())
        return Error(QString::fromLatin1(kServerRefusedCode), sentence, status);
    QString detail = QString::fromUtf8(body.left(200)).simplified();
    if (!detail.isEmpty())
        detail = QStringLiteral(": ") + detail;
    return Error(QString::fromLatin1(kServerRefusedCode),
                 QStringLiteral("%1 was refused with HTTP %2 %3%4").arg(what).arg(status).arg(reason, detail).simplified(),
                 status);
}

bool isNetworkError(const Error &error)
{
    return error.code == QLatin1String(kNetworkErrorCode);
}

} // namespace deso::node
