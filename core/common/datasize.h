#pragma once
// A byte count as people read it in sentences ("250.0 MB"), the same in every
// sentence the upload layer and core/video write (C locale: no surprises in logs).

#include <QLocale>
#include <QString>

namespace deso {

inline QString humanSize(qint64 bytes)
{
    return QLocale::c().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

} // namespace deso
