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
    const int status = httpStatus(reply);
    if (status == 0) {
        return Error(QString::fromLatin1(kNetworkErrorCode),
                     QStringLiteral("%1 failed: %2 (%3).")
                         .arg(what, reply->errorString(), reply->url().toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery)));
    }
    // The node answers {"error": "<sentence>"}; pass that sentence on untouched.
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    const QString sentence = doc.object().value(QStringLiteral("error")).toString();
    if (!sentence.isEmpty())
        return Error(QString::fromLatin1(kServerRefusedCode), sentence, status);
    const QString reason = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
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
