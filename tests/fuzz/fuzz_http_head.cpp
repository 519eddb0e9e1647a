// The front door's HTTP/1.1 request-head parser: every request's head goes
// through it, and it decides how the body is framed. Besides "no crash", checks
// what the rest of the host relies on:
// well-formed names, no control bytes in values, and that URLs and CORS headers
// built from request headers can never split a response header.
#include "fuzzcheck.h"
#include "host/http/httpmessage.h"

#include <cstdint>

using namespace deso::host;

static bool hasLineBreakOrNul(const QByteArray &b)
{
    return b.contains('\r') || b.contains('\n') || b.contains('\0');
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));

    // As the connection does: the head is everything up to the first blank line.
    const qsizetype end = bytes.indexOf("\r\n\r\n");
    const QByteArray head = end < 0 ? bytes : bytes.left(end + 4);

    const auto parsed = parseRequestHead(head);
    if (!parsed.ok()) {
        const int status = parsed.error().httpStatus;
        FUZZ_CHECK(status == 400 || status == 501 || status == 505);
        return 0;
    }
    const HttpRequest &h = parsed.value();
    // One reading of the body's length: one Content-Length of digits, or chunked alone.
    int lengths = 0, encodings = 0;
    for (const auto &field : h.headers) {
        lengths += field.first == "content-length";
        encodings += field.first == "transfer-encoding";
    }
    FUZZ_CHECK(lengths <= 1 && encodings <= 1 && !(lengths && encodings));
    FUZZ_CHECK((h.framing == BodyFraming::Length) == (lengths == 1));
    FUZZ_CHECK((h.framing == BodyFraming::Chunked) == (encodings == 1));
    FUZZ_CHECK(h.contentLength >= 0);
    if (h.framing != BodyFraming::Length)
        FUZZ_CHECK(h.contentLength == 0);
    for (const char *range : {"bytes=0-99", "bytes=-5", "bytes=7-"}) {
        const ByteRange r = parseByteRange(range, h.contentLength);
        if (r.kind == ByteRange::Kind::Partial)
            FUZZ_CHECK(r.first >= 0 && r.first <= r.last && r.last < h.contentLength);
    }
    FUZZ_CHECK(parseByteRange(h.header("range"), h.contentLength).kind != ByteRange::Kind::Partial
               || parseByteRange(h.header("range"), h.contentLength).last < h.contentLength);
    FUZZ_CHECK(!h.method.isEmpty() && !h.target.isEmpty());
    FUZZ_CHECK(h.version == "HTTP/1.1" || h.version == "HTTP/1.0");
    FUZZ_CHECK(!h.path().contains('?'));
    for (const auto &field : h.headers) {
        FUZZ_CHECK(!field.first.isEmpty());
        FUZZ_CHECK(field.first == field.first.toLower());
        FUZZ_CHECK(!field.first.contains(':') && !field.first.contains(' '));
        // A bare CR or a NUL in a field value must be refused (RFC 9112 §2.2, RFC 9110 §5.5):
        // values are echoed into responses (Upload-Metadata, Origin).
        FUZZ_CHECK(!hasLineBreakOrNul(field.second));
        FUZZ_CHECK(field.second == field.second.trimmed());
    }
    (void)h.wantsKeepAlive();
    (void)h.hasHeader("content-length");

    // Handed-out URLs (Location, ImageURL) come from Host / X-Forwarded-*.
    for (bool trust : {false, true}) {
        const QByteArray base = publicBaseUrl(h.header("host"), h.header("x-forwarded-host"),
                                              h.header("x-forwarded-proto"), trust, "127.0.0.1:8089");
        FUZZ_CHECK(base.startsWith("http://") || base.startsWith("https://"));
        FUZZ_CHECK(!hasLineBreakOrNul(base) && !base.contains(' ') && base.indexOf('/', 8) < 0);
    }
    for (bool extended : {false, true})
        for (const auto &cors : corsHeaders(h.header("origin"), extended))
            FUZZ_CHECK(!hasLineBreakOrNul(cors.second));
    return 0;
}
