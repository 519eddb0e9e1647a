#include "host/multipartstream.h"

#include "host/multipartform.h"

namespace deso::host {

namespace {

Error formError(const QString &why)
{
    return Error(QStringLiteral("form.malformed"), why, 400);
}

bool startsWithNoCase(QByteArrayView s, QByteArrayView prefix)
{
    return s.size() >= prefix.size() && s.first(prefix.size()).compare(prefix, Qt::CaseInsensitive) == 0;
}

} // namespace

Result<MultipartStream> MultipartStream::forContentType(const QByteArray &contentType)
{
    if (!startsWithNoCase(QByteArrayView(contentType).trimmed(), "multipart/form-data"))
        return formError(QStringLiteral("request Content-Type isn't multipart/form-data"));
    const QByteArray boundary = headerParameter(contentType, "boundary");
    if (boundary.isEmpty() || boundary.size() > 70)
        return formError(QStringLiteral("no multipart boundary param in Content-Type"));
    MultipartStream s;
    s.m_delimiter = "\r\n--" + boundary;
    // The first delimiter may open the body without a line break before it:
    // pretend one was there so every delimiter reads the same.
    s.m_buffer = "\r\n";
    return s;
}

Status MultipartStream::feed(const char *data, qint64 size, MultipartPartSink &sink)
{
    if (m_state == State::Done)
        return {}; // the epilogue is ignored
    m_buffer.append(data, qsizetype(size));
    for (bool progressed = true; progressed;) {
        progressed = false;
        if (auto s = step(sink, &progressed); !s.ok())
            return s;
    }
    return {};
}

Status MultipartStream::step(MultipartPartSink &sink, bool *progressed)
{
    switch (m_state) {
    case State::Preamble: {
        const qsizetype at = m_buffer.indexOf(m_delimiter);
        if (at < 0) {
            // Keep only what could be the start of a delimiter.
            m_buffer.remove(0, qMax<qsizetype>(0, m_buffer.size() - m_delimiter.size()));
            return {};
        }
        m_buffer.remove(0, at + m_delimiter.size());
        m_state = State::AfterDelimiter;
        *progressed = true;
        return {};
    }
    case State::AfterDelimiter: {
        if (m_buffer.size() < 2)
            return {};
        if (m_buffer.startsWith("--")) {
            m_state = State::Done;
            m_buffer.clear();
            return {};
        }
        if (!m_buffer.startsWith("\r\n"))
            return formError(QStringLiteral("multipart: boundary is not followed by a line break"));
        m_buffer.remove(0, 2);
        m_state = State::PartHead;
        *progressed = true;
        return {};
    }
    case State::PartHead: {
        qsizetype headEnd = -1;
        qsizetype dataStart = -1;
        if (m_buffer.startsWith("\r\n")) { // a part without headers
            headEnd = 0;
            dataStart = 2;
        } else if (const qsizetype at = m_buffer.indexOf("\r\n\r\n"); at >= 0) {
            headEnd = at;
            dataStart = at + 4;
        }
        if (headEnd < 0) {
            if (m_buffer.size() > kMaxPartHeadBytes)
                return formError(QStringLiteral("multipart: a part's headers are longer than %1 bytes").arg(kMaxPartHeadBytes));
            return {};
        }
        auto headers = parsePartHeaders(QByteArrayView(m_buffer).first(headEnd));
        if (!headers.ok())
            return headers.error();
        const QByteArrayView disposition = headers->disposition;
        const QByteArrayView partType = headers->contentType;
        MultipartPart part;
        part.name = headerParameter(disposition, "name");
        // Like Go's mime/multipart: a part with a filename parameter is a file.
        if (disposition.contains("filename=") || disposition.contains("filename*=")) {
            part.fileName = headerParameter(disposition, "filename");
            if (part.fileName.isNull())
                part.fileName = "";
        }
        part.contentType = partType.toByteArray();
        m_buffer.remove(0, dataStart);
        m_state = State::PartBody;
        *progressed = true;
        return sink.partBegin(part);
    }
    case State::PartBody: {
        const qsizetype at = m_buffer.indexOf(m_delimiter);
        if (at < 0) {
            // Everything but a possible delimiter start is part data.
            const qsizetype safe = m_buffer.size() - (m_delimiter.size() - 1);
            if (safe > 0) {
                if (auto s = sink.partData(m_buffer.constData(), safe); !s.ok())
                    return s;
                m_buffer.remove(0, safe);
            }
            return {};
        }
        if (at > 0) {
            if (auto s = sink.partData(m_buffer.constData(), at); !s.ok())
                return s;
        }
        m_buffer.remove(0, at + m_delimiter.size());
        m_state = State::AfterDelimiter;
        *progressed = true;
        return sink.partEnd();
    }
    case State::Done:
        return {};
    }
    return {};
}

Status MultipartStream::finish() const
{
    if (m_state != State::Done)
        return formError(QStringLiteral("multipart: NextPart: EOF"));
    return {};
}

} // namespace deso::host
