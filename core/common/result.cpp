#include "common/result.h"

namespace deso {

QString Error::toString() const
{
    if (code.isEmpty())
        return message;
    return QStringLiteral("%1 (%2)").arg(message, code);
}

} // namespace deso
