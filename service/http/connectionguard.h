#pragma once

#include "domain/apierror.h"
#include "http/httpresponse.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTimer>
#include <atomic>
#include <functional>
#include <http_parser.h>
#include <memory>

namespace oxm {

struct ServiceConfig;
class ConnectionTable;

/// The limits of the front door (docs/api.md, "Front door limits"), taken from ServiceConfig.
struct FrontDoorLimits
{
    qint64 maxBodyBytes = 1048576;   ///< Content-Length or chunked sum above → 413/1090
    int maxRequestLineBytes = 8192;  ///< request target above → 414/1100
    int maxHeaderBytes = 16384;      ///< header fields + values (+4 per line) above → 431/1100
    int maxHeaderCount = 100;        ///< more header lines → 431/1100
    int idleTimeoutMs = 30000;       ///< no request in progress and nothing received → close
    int headerTimeoutMs = 10000;     ///< first byte of a request to end of its headers → close
    int maxConnections = 1000;       ///< open connections per process; more are refused (503)
    int lingerMs = 2000;             ///< after the half-close (a refusal or the answer to `Connection: close`
                                     ///< is out): close once input has stopped this long and the peer has
                                     ///< acknowledged all output, at most idleTimeoutMs after the half-close
    qint64 maxPendingOutputBytes = 1048576; ///< answers not taken by the client above this when another
                                            ///< request completes → that one is the last answered

    static FrontDoorLimits from(const ServiceConfig &config);
};

/// The current time as an HTTP date (IMF-fixdate, RFC 9110 §5.6.7), e.g.
/// "Sun, 06 Nov 1994 08:49:37 GMT": the system clock in UTC, not the service's Clock.
QByteArray httpDate();

/// The headers a response goes on the wire with: its own, Date (RFC 9110 §6.6.1: an origin
/// server with a clock sends it in every response) and Content-Length (except for 204).
/// Shared by HttpServerAdapter (through Qt's responder) and ConnectionGuard (raw bytes).
QList<QPair<QByteArray, QByteArray>> wireHeaders(const HttpResponse &response);

/// A complete HTTP/1.1 response as bytes: status line, wireHeaders(), `extraHeaders`, body.
QByteArray serializeResponse(const HttpResponse &response,
                             const QList<QPair<QByteArray, QByteArray>> &extraHeaders = {});

/// The socket of a guarded connection: lets its ConnectionGuard see what QHttpServer writes,
/// so it knows when the response to a `Connection: close` request has gone out. A QSslSocket
/// that stays plain TCP unless the server serves TLS (then startServerEncryption() is called
/// before QHttpServer sees it, and everything the guard and QHttpServer read is decrypted).
class GuardedSocket final : public QSslSocket
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GuardedSocket)

public:
    using QSslSocket::QSslSocket;
    std::function<void(const char *data, qint64 size)> writeObserver;

protected:
    qint64 writeData(const char *data, qint64 size) override;
};

/// Watches one connection before QHttpServer does (issue 4, "strict front door"). Created by
/// GuardedTcpServer before the socket is handed to QHttpServer, so its readyRead slot runs
/// first. It peeks at the new bytes and runs them through Debian's http_parser (a non-strict
/// build, so the guard itself checks the request line, `METHOD SP target SP HTTP/x.y CRLF`, every
/// line end, and the CRLFs of chunked framing, and refuses trailer fields); QHttpServer then reads
/// the same bytes itself. On a violation (sizes, framing, version) it answers with the contract's
/// JSON error and `Connection: close` — after the answers to the earlier requests of the
/// connection, which QHttpServer may still be writing — takes the socket away from QHttpServer,
/// half-closes once all of it is out (bounded by idleTimeoutMs without progress for a client that
/// does not read), then keeps discarding input until the client has been quiet for lingerMs and
/// has acknowledged everything (RFC 9112 §9.6), so a client still sending its body reads the
/// answer rather than a reset, and closes. A client that keeps sending requests without reading
/// the answers is closed after maxPendingOutputBytes of them. The linger's bound (idleTimeoutMs)
/// counts from the last acknowledgement progress. It also closes idle connections and slow headers, answers
/// `Expect: 100-continue`, and closes after the response to `Connection: close` / HTTP/1.0.
/// It keeps the connection's entry in the ConnectionTable (idle or busy) and closes the
/// connection when the table evicts it.
class ConnectionGuard final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionGuard)

public:
    /// Parented to `socket`.
    ConnectionGuard(GuardedSocket *socket, const FrontDoorLimits &limits);
    ~ConnectionGuard() override;

    /// The connection got entry `id` of `table` (ConnectionTable::admit); removed when the
    /// guard (i.e. the socket) is destroyed.
    void setTableEntry(std::shared_ptr<ConnectionTable> table, quint64 id);
    /// The table evicted this connection: closed now if idle, else after its answer is out.
    void evict();

private:
    enum class State { Idle, Headers, Body, Closing, Refused };

    /// Where the request line is (checkRequestLine): METHOD SP target SP "HTTP/" DIGIT "." DIGIT CRLF.
    enum class LineState { Method, Target, Version, Done };
    /// Where a chunk-size line is (checkChunkSizeLine): 1*HEXDIG *( BWS ";" chunk-ext ) CRLF
    /// (RFC 9112 §7.1.1).
    enum class ChunkLineState { None, HeaderEnd, FirstDigit, Digits, BeforeExtension, Extension };

    void onReadyRead();
    void onBytesWritten(qint64 bytes);
    void feed(const char *data, size_t size);
    bool checkRequestLine(const char *data, size_t size);
    bool checkChunkSizeLine(const char *data, size_t size);
    void completeMessage();
    void refuse(int status, ErrorCode code, const QString &message);
    void writeRefusal();
    void endHeader();
    void halfCloseWhenFlushed();

    // http_parser callbacks
    static int onMessageBegin(http_parser *parser);
    static int onUrl(http_parser *parser, const char *at, size_t length);
    static int onHeaderField(http_parser *parser, const char *at, size_t length);
    static int onHeaderValue(http_parser *parser, const char *at, size_t length);
    static int onHeadersComplete(http_parser *parser);
    static int onBody(http_parser *parser, const char *at, size_t length);
    static int onChunkHeader(http_parser *parser);
    static int onChunkComplete(http_parser *parser);
    static int onMessageComplete(http_parser *parser);
    static const http_parser_settings &settings();

    struct Refusal
    {
        int status = 0;
        ErrorCode code = ErrorCode::BadFraming;
        QString message;
    };

    QPointer<QTcpSocket> m_socket;
    const FrontDoorLimits m_limits;
    std::shared_ptr<ConnectionTable> m_table;
    quint64 m_tableId = 0;
    http_parser m_parser{};
    State m_state = State::Idle;
    Refusal m_refusal;            // set by a callback that stops the parser
    bool m_messageEnded = false;  // feed() stops after each request (see onReadyRead)
    bool m_keepAlive = true;      // of the request that just ended
    bool m_lastWasCR = false;     // across chunks, for bare-LF detection
    LineState m_lineState = LineState::Done;
    int m_lineIndex = 0;          // bytes of the version part ("HTTP/1.1\r\n") seen so far
    qint64 m_lineTargetBytes = 0;
    bool m_crlfDue = false;       // a chunked-framing callback paused: the last 2 bytes must be CRLF
    bool m_chunkIsLast = false;   // the current chunk has size 0
    ChunkLineState m_chunkLineState = ChunkLineState::None;
    char m_tail[2] = {0, 0};      // the last two bytes http_parser consumed (across reads)
    qint64 m_urlBytes = 0;
    int m_escapeDigitsDue = 0; ///< hex digits still expected after a '%' in the target
    QByteArray m_targetStart;  ///< the target's first two bytes
    qint64 m_headerBytes = 0;
    int m_headerCount = 0;
    qint64 m_bodyBytes = 0;
    bool m_inValue = false;       // last header callback was a value
    QByteArray m_field;
    QByteArray m_value;
    bool m_expectContinue = false;
    int m_hostCount = 0;          // Host header lines of the current request
    qint64 m_requestsCompleted = 0;
    qint64 m_responsesWritten = 0;  // final (non-1xx) status lines written to the socket
    bool m_statusPending = false;   // "HTTP/1.1 " written, status code next
    bool m_halfClosed = false;
    bool m_lingerInput = false;     // input arrived during the current linger period
    qint64 m_lingerDeadlineMs = 0;  // the linger ends by then whatever happens (monotonic ms)
    int m_lingerUnacknowledged = 0; // SIOCOUTQ at the last linger tick
    /// A refusal waiting for the answers to the earlier requests of the connection (which QHttpServer
    /// may still write, e.g. after a resume point commit); written once they are out.
    QByteArray m_refusalBytes;
    bool m_refusalWritten = false;
    QTimer m_idleTimer;
    QTimer m_headerTimer;
    QTimer m_lingerTimer;
};

} // namespace oxm
