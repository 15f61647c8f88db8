#pragma once

// A test client that writes exact bytes to the server and splits what comes back into responses
// with Debian's http_parser (HTTP_RESPONSE): the front door's tests (tst_frontdoor, tst_badinput)
// send framing no well-behaved client would, so they cannot use QNetworkAccessManager.

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QTcpSocket>

#include <http_parser.h>

namespace oxm::test {

/// One parsed response: status, headers in wire order (names as sent), body.
struct RawResponse
{
    int status = 0;
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;

    /// The first header named `name` (case-insensitive), or null.
    QByteArray header(const QByteArray &name) const;
    /// The JSON error body's `errorCode` (api-contract.md "Errors"), -1 when there is none.
    int errorCode() const;
};

/// Splits a byte stream into responses. Interim (1xx) responses are kept apart from final ones.
class ResponseParser
{
public:
    ResponseParser();
    ResponseParser(const ResponseParser &) = delete;
    ResponseParser &operator=(const ResponseParser &) = delete;

    /// Parses more bytes; sets `failed` (and ignores all later bytes) on anything not HTTP/1.1.
    void feed(const QByteArray &bytes);

    QList<RawResponse> responses;        ///< final (status >= 200) responses, in order
    QList<RawResponse> interimResponses; ///< 1xx responses (100 Continue), in order
    qint64 received = 0;                 ///< bytes fed
    bool failed = false;

private:
    static ResponseParser *self(http_parser *parser);
    http_parser m_parser{};
    http_parser_settings m_settings{};
    RawResponse m_current;
    bool m_inValue = false;
};

/// One blocking client connection to 127.0.0.1:port, used on the test thread.
class RawClient
{
public:
    explicit RawClient(quint16 port);

    bool connected() const;
    /// Writes the bytes as they are and flushes.
    void send(const QByteArray &bytes);
    /// Reads until `count` final responses arrived, the server closed, or `timeoutMs` passed
    /// (default 10 s × timeScale()).
    void waitForResponses(int count, int timeoutMs = -1);
    /// Waits until the server closes the connection, parsing what arrives; returns how long it
    /// took in ms, -1 when the connection is still open after `timeoutMs`.
    qint64 waitForClose(int timeoutMs);
    QTcpSocket &socket() { return m_socket; }

    ResponseParser parser;

private:
    QTcpSocket m_socket;
};

/// A request with exact bytes: request line, `Host: 127.0.0.1`, `headers` (each ending in CRLF),
/// and, when `body` is not null, `Content-Length` (unless `withLength` is false) and the body.
QByteArray rawRequest(const QByteArray &method, const QByteArray &target, const QByteArray &headers = {},
                      const QByteArray &body = QByteArray(), bool withLength = true);
/// A chunked body (RFC 9112 §7.1) of `total` bytes 'x' in chunks of `chunk`, then the last chunk.
QByteArray chunkedBody(qint64 total, qint64 chunk);
/// `count` header lines `X-Pad-NNN: vvv…` with values of `valueSize` bytes. The front door counts
/// a line as name + value + 4 bytes (": " and CRLF).
QByteArray padHeaders(int count, int valueSize);

} // namespace oxm::test
