#include "nodetest/sampleclip.h"

#include <QFile>
#include <QSaveFile>
#include <QtEndian>

namespace deso::nodetest {

Status writeSampleClip(const QString &path, qint64 paddingBytes)
{
    const auto writeError = [&](const QString &why) {
        return Error(QStringLiteral("nodetest.write"), QStringLiteral("Cannot write %1: %2").arg(path, why));
    };
    if (paddingBytes != 0 && (paddingBytes < 8 || paddingBytes > 0xffffffffLL))
        return Error(QStringLiteral("nodetest.bad_padding"),
                     QStringLiteral("An MP4 free box holds 8 bytes to 4 GiB; %1 bytes asked.").arg(paddingBytes));
    QFile in(QStringLiteral(":/nodetest/sample.mp4"));
    if (!in.open(QIODevice::ReadOnly))
        return Error(QStringLiteral("nodetest.no_sample"), QStringLiteral("The bundled sample clip is missing from this build."));
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly))
        return writeError(out.errorString());
    out.write(in.readAll());
    if (paddingBytes > 0) {
        char header[8];
        qToBigEndian(quint32(paddingBytes), header);
        memcpy(header + 4, "free", 4);
        out.write(header, sizeof header);
        const QByteArray zeros(1024 * 1024, '\0');
        for (qint64 left = paddingBytes - 8; left > 0; left -= zeros.size())
            out.write(zeros.constData(), qMin<qint64>(left, zeros.size()));
    }
    if (!out.commit())
        return writeError(out.errorString());
    QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner);
    return {};
}

} // namespace deso::nodetest
