// The host's raw HTTP/1.1 request-head parser: every connection's first bytes go
// through it (the sniffer that picks the raw path or QHttpServer, and the raw
// reader itself). Besides "no crash", checks what the rest of the host relies on:
// well-formed names, no control bytes in values, and that URLs and CORS headers
// built from request headers can never split a response header.
#include "fuzzcheck.h"
#include "host/httpmessage.h"

#include <cstdint>

using namespace deso::host;

static bool hasLineBreakOrNul(const QByteArray &b)
{
    return b.contains('\r') || b.contains('\n') || b.contains('\0');
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));

    // As the sniffer does: the head is everything up to the first blank line.
    const qsizetype end = bytes.indexOf("\r\n\r\n");
    const QByteArray head = end < 0 ? bytes : bytes.left(end + 4);

    QByteArray method, path;
    const qsizetype eol = bytes.indexOf("\r\n");
    if (parseRequestLine(eol < 0 ? bytes : bytes.left(eol), &method, &path)) {
        FUZZ_CHECK(!method.isEmpty());
        FUZZ_CHECK(!path.contains('?'));
    }

    const auto parsed = parseRequestHead(head);
    if (!parsed.ok()) {
        const int status = parsed.error().httpStatus;
        FUZZ_CHECK(status == 400 || status == 505);
        return 0;
    }
    const RawRequestHead &h = parsed.value();
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
