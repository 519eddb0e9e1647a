#pragma once
// The one reading of a length or offset sent by a peer (Content-Length,
// Upload-Offset, Upload-Length, Range bounds): 1 to 18 decimal digits, no
// sign, no spaces, no suffix, so it always fits a qint64. Anything else is
// std::nullopt: client and host read these numbers the same strict way.

#include <QByteArrayView>

#include <optional>

namespace deso {

inline std::optional<qint64> parseDecimal(QByteArrayView text)
{
    if (text.isEmpty() || text.size() > 18)
        return std::nullopt;
    qint64 value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return value;
}

} // namespace deso
