#pragma once
// multipart/form-data (RFC 7578) parsed as it streams in, for bodies too large
// to hold (upload-video): parts are announced with their headers, their bytes
// handed on piece by piece, and only a delimiter's worth of lookahead is kept.
// The in-memory multipartform.h stays for small bounded forms (upload-image).

#include "common/result.h"

#include <QByteArray>

namespace deso::host {

struct MultipartPart {
    QByteArray name;        // the Content-Disposition name
    QByteArray fileName;    // null unless the part is a file (it has a filename parameter)
    QByteArray contentType; // the part's own Content-Type, as sent (may be empty)
    bool isFile() const { return !fileName.isNull(); }
};

class MultipartPartSink {
public:
    virtual ~MultipartPartSink() = default;
    virtual Status partBegin(const MultipartPart &part) = 0;
    virtual Status partData(const char *data, qint64 size) = 0;
    virtual Status partEnd() = 0;
};

class MultipartStream {
public:
    // Headers of one part beyond this are refused (a form, not a header flood).
    static constexpr qsizetype kMaxPartHeadBytes = 16 * 1024;

    // `contentType` is the request's Content-Type; errors carry 400 and say what is wrong.
    static Result<MultipartStream> forContentType(const QByteArray &contentType);

    // The next piece of the body; parts go to `sink` as they complete. An error
    // (the form's or the sink's) ends the parse.
    Status feed(const char *data, qint64 size, MultipartPartSink &sink);
    // The body has ended: an error unless the closing delimiter was seen.
    Status finish() const;

private:
    enum class State { Preamble, AfterDelimiter, PartHead, PartBody, Done };
    Status step(MultipartPartSink &sink, bool *progressed);

    QByteArray m_delimiter; // "\r\n--" + boundary
    QByteArray m_buffer;    // unparsed bytes (at most a part head or a delimiter's length)
    State m_state = State::Preamble;
};

} // namespace deso::host
