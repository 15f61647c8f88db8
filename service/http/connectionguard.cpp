#include "connectionguard.h"

#include <cctype>

#include "core/serviceconfig.h"
#include "http/connectiontable.h"
#include "http/errormapper.h"

#include <QDateTime>
#include <QLocale>
#include <QLoggingCategory>
#include <QUuid>
#include <chrono>
#include <climits>
#include <cstring>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

Q_LOGGING_CATEGORY(lcGuard, "oxm.http.guard", QtInfoMsg)

namespace oxm {

FrontDoorLimits FrontDoorLimits::from(const ServiceConfig &config)
{
    FrontDoorLimits limits;
    limits.maxBodyBytes = config.maxBodyBytes;
    limits.maxRequestLineBytes = config.maxRequestLineBytes;
    limits.maxHeaderBytes = config.maxHeaderBytes;
    limits.maxHeaderCount = config.maxHeaderCount;
    limits.idleTimeoutMs = config.idleTimeoutMs;
    limits.headerTimeoutMs = config.headerTimeoutMs;
    limits.maxConnections = config.maxConnections;
    return limits;
}

QByteArray httpDate()
{
    // Formatted at most once a second per thread; QLocale::c() for English day and month names
    // whatever the process locale.
    thread_local qint64 second = -1;
    thread_local QByteArray text;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const qint64 current = now.toSecsSinceEpoch();
    if (current != second) {
        second = current;
        text = QLocale::c().toString(now, QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'")).toLatin1();
    }
    return text;
}

QList<QPair<QByteArray, QByteArray>> wireHeaders(const HttpResponse &response)
{
    QList<QPair<QByteArray, QByteArray>> headers = response.headers;
    headers.append({QByteArrayLiteral("Date"), httpDate()});
    if (response.status != 204)
        headers.append({QByteArrayLiteral("Content-Length"), QByteArray::number(response.body.size())});
    return headers;
}

QByteArray serializeResponse(const HttpResponse &response, const QList<QPair<QByteArray, QByteArray>> &extraHeaders)
{
    QByteArray bytes = "HTTP/1.1 " + QByteArray::number(response.status) + ' '
        + http_status_str(static_cast<http_status>(response.status)) + "\r\n";
    const auto append = [&bytes](const QList<QPair<QByteArray, QByteArray>> &headers) {
        for (const auto &[name, value] : headers)
            bytes += name + ": " + value + "\r\n";
    };
    append(wireHeaders(response));
    append(extraHeaders);
    bytes += "\r\n";
    bytes += response.body;
    return bytes;
}

qint64 GuardedSocket::writeData(const char *data, qint64 size)
{
    if (writeObserver)
        writeObserver(data, size);
    return QSslSocket::writeData(data, size);
}

namespace {
qint64 monotonicMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

ConnectionGuard *guardOf(http_parser *parser)
{
    return static_cast<ConnectionGuard *>(parser->data);
}

/// Bytes this host has sent on `socket` (or not yet sent) that the peer has not acknowledged:
/// Linux's SIOCOUTQ (tcp(7), unix(7)); 0 when it cannot be read.
int unacknowledgedBytes(const QTcpSocket *socket)
{
    int bytes = 0;
    if (::ioctl(int(socket->socketDescriptor()), SIOCOUTQ, &bytes) != 0)
        return 0;
    return bytes;
}

/// Output written to `socket` that its buffers still hold (plaintext, and over TLS ciphertext).
qint64 pendingOutputBytes(const QTcpSocket *socket)
{
    qint64 bytes = socket->bytesToWrite();
    if (const auto *tls = qobject_cast<const QSslSocket *>(socket); tls && tls->isEncrypted())
        bytes += tls->encryptedBytesToWrite();
    return bytes;
}
} // namespace

const http_parser_settings &ConnectionGuard::settings()
{
    static const http_parser_settings s = [] {
        http_parser_settings v;
        http_parser_settings_init(&v);
        v.on_message_begin = &ConnectionGuard::onMessageBegin;
        v.on_url = &ConnectionGuard::onUrl;
        v.on_header_field = &ConnectionGuard::onHeaderField;
        v.on_header_value = &ConnectionGuard::onHeaderValue;
        v.on_headers_complete = &ConnectionGuard::onHeadersComplete;
        v.on_body = &ConnectionGuard::onBody;
        v.on_chunk_header = &ConnectionGuard::onChunkHeader;
        v.on_chunk_complete = &ConnectionGuard::onChunkComplete;
        v.on_message_complete = &ConnectionGuard::onMessageComplete;
        return v;
    }();
    return s;
}

ConnectionGuard::ConnectionGuard(GuardedSocket *socket, const FrontDoorLimits &limits)
    : QObject(socket)
    , m_socket(socket)
    , m_limits(limits)
{
    http_parser_init(&m_parser, HTTP_REQUEST);
    m_parser.data = this;
    for (QTimer *timer : {&m_idleTimer, &m_headerTimer, &m_lingerTimer})
        timer->setSingleShot(true);
    m_idleTimer.setInterval(m_limits.idleTimeoutMs);
    m_headerTimer.setInterval(m_limits.headerTimeoutMs);
    m_lingerTimer.setInterval(m_limits.lingerMs);
    // Connected before QHttpServer connects its own slot (GuardedTcpServer), so this runs first.
    connect(socket, &QIODevice::readyRead, this, &ConnectionGuard::onReadyRead);
    connect(socket, &QIODevice::bytesWritten, this, &ConnectionGuard::onBytesWritten);
    // Over TLS, bytesWritten reports plaintext handed to the encryption; the encrypted bytes
    // reach the kernel later (encryptedBytesWritten), and only then may the write side close.
    connect(socket, &QSslSocket::encryptedBytesWritten, this, &ConnectionGuard::onBytesWritten);
    // Counts final responses (not 100 Continue). QHttpServerResponder 6.4 writes "HTTP/1.1 "
    // and the status code as separate pieces, serializeResponse() the whole status line in one;
    // a JSON body never starts like a status line.
    socket->writeObserver = [this](const char *data, qint64 size) {
        static constexpr char kPrefix[] = "HTTP/1.1 ";
        static constexpr qint64 kPrefixSize = sizeof(kPrefix) - 1;
        const qint64 before = m_responsesWritten;
        if (m_statusPending) {
            m_statusPending = false;
            if (size > 0 && data[0] != '1')
                ++m_responsesWritten;
        } else if (size >= kPrefixSize && std::memcmp(data, kPrefix, kPrefixSize) == 0) {
            if (size == kPrefixSize)
                m_statusPending = true;
            else if (data[kPrefixSize] != '1')
                ++m_responsesWritten;
        }
        if (m_responsesWritten != before && m_responsesWritten >= m_requestsCompleted && m_table)
            m_table->setIdle(m_tableId, true, monotonicMs());
        // A held refusal goes out after the answer being written now (the rest of which, headers
        // and body, the responder writes before returning to the event loop).
        if (m_responsesWritten != before && m_state == State::Refused && !m_refusalWritten
            && !m_refusalBytes.isEmpty() && m_responsesWritten >= m_requestsCompleted)
            QMetaObject::invokeMethod(this, &ConnectionGuard::writeRefusal, Qt::QueuedConnection);
    };
    connect(socket, &QAbstractSocket::disconnected, this, [this] {
        m_idleTimer.stop();
        m_headerTimer.stop();
        m_lingerTimer.stop();
    });
    connect(&m_idleTimer, &QTimer::timeout, this, [this] {
        // Closing: the response to a `Connection: close` request never came or was not read;
        // Refused: the answer to an earlier request never came, or the client has not read the
        // answers and the refusal (the write side is not half-closed yet).
        if (m_socket && (m_state == State::Idle || m_state == State::Body || m_state == State::Closing
                         || (m_state == State::Refused && !m_halfClosed))) {
            qCDebug(lcGuard) << "closing an idle connection";
            m_socket->abort();
        }
    });
    connect(&m_headerTimer, &QTimer::timeout, this, [this] {
        if (m_socket && m_state == State::Headers) {
            qCDebug(lcGuard) << "closing a connection whose headers are too slow";
            m_socket->abort();
        }
    });
    connect(&m_lingerTimer, &QTimer::timeout, this, [this] {
        if (!m_socket)
            return;
        // RFC 9112 §9.6: close only once the client has been quiet for a whole linger and this
        // host's TCP stack has had everything acknowledged. Closing while input still arrives, or
        // arrives later, makes the kernel answer with a reset that discards the output not yet
        // delivered. Bounded by the idle timeout from the half-close or from the last progress
        // of the acknowledgements (a slow reader still taking its answers).
        const qint64 now = monotonicMs();
        const int unacknowledged = unacknowledgedBytes(m_socket);
        if (unacknowledged < m_lingerUnacknowledged)
            m_lingerDeadlineMs = now + std::max(m_limits.idleTimeoutMs, m_limits.lingerMs);
        m_lingerUnacknowledged = unacknowledged;
        if (now < m_lingerDeadlineMs && (m_lingerInput || unacknowledged > 0)) {
            m_lingerInput = false;
            m_lingerTimer.start();
            return;
        }
        m_socket->abort();
    });
    m_idleTimer.start();
}

ConnectionGuard::~ConnectionGuard()
{
    if (m_table)
        m_table->remove(m_tableId);
}

void ConnectionGuard::setTableEntry(std::shared_ptr<ConnectionTable> table, quint64 id)
{
    m_table = std::move(table);
    m_tableId = id;
}

void ConnectionGuard::evict()
{
    if (!m_socket)
        return;
    if (m_state == State::Refused) {
        // Written: all that is left is a client that has not read its answers yet (bounded only
        // by the idle timeout) or the linger, so it makes room at once. Held (an earlier answer
        // is not written yet): busy, it closes after that answer and its refusal.
        if (m_refusalWritten) {
            qCDebug(lcGuard) << "evicting a refused connection to make room for a new one";
            m_socket->abort();
        }
        return;
    }
    if (m_responsesWritten >= m_requestsCompleted) {
        qCDebug(lcGuard) << "evicting an idle connection to make room for a new one";
        m_socket->abort();
        return;
    }
    // Busy: its answer goes out first, then it closes (as after `Connection: close`); the idle
    // timeout bounds it (it may have been stopped by a request begun since).
    m_state = State::Closing;
    m_idleTimer.start();
}

void ConnectionGuard::onReadyRead()
{
    if (!m_socket)
        return;
    if (m_state == State::Refused || m_state == State::Closing) {
        m_socket->readAll(); // no further requests on this connection
        if (m_halfClosed)
            m_lingerInput = true; // the client is still sending: keep lingering
        return;
    }
    // What is available now has not been fed yet: QHttpServer 6.4 (whose slot runs after this
    // one) reads everything while a request is incomplete, but stops at the end of a complete
    // request and emits readyRead again for the rest (measured: two pipelined requests in one
    // segment give two readyRead, 64 then 32 bytes). feed() stops at the end of a request too,
    // so both always consume the same bytes (tst_frontdoor: pipelined, split and large bodies).
    const qint64 available = m_socket->bytesAvailable();
    if (available <= 0)
        return;
    // Peeked in growing windows: feed() stops at the end of the first request, so peeking all
    // that is buffered for each of many pipelined requests would copy O(n²) bytes (a break-it
    // pass measured 400 pipelined 8 KB requests at ~3 s of CPU). A window is peeked again from
    // the start (QIODevice has no offset peek) and only its new part fed; doubling keeps the
    // copying within 2x of what is fed.
    const qint64 completedBefore = m_requestsCompleted;
    qint64 fed = 0;
    qint64 window = std::min<qint64>(available, 16384);
    while (true) {
        const QByteArray bytes = m_socket->peek(window);
        feed(bytes.constData() + fed, size_t(bytes.size() - fed));
        fed = bytes.size();
        if (m_requestsCompleted != completedBefore || m_state == State::Refused || m_state == State::Closing
            || fed >= available)
            break;
        window = std::min(available, window * 2);
    }
    if (m_state == State::Body)
        m_idleTimer.start(); // a body that stops arriving counts as idle
}

void ConnectionGuard::feed(const char *data, size_t size)
{
    size_t offset = 0;
    while (offset < size && m_state != State::Refused && m_state != State::Closing) {
        const bool inHeaders = m_state == State::Headers;
        // The request line is checked before http_parser reads it (see checkRequestLine).
        if (inHeaders && m_lineState != LineState::Done && !checkRequestLine(data + offset, size - offset))
            return;
        if (m_chunkLineState != ChunkLineState::None && !checkChunkSizeLine(data + offset, size - offset))
            return;
        const size_t parsed = http_parser_execute(&m_parser, &settings(), data + offset, size - offset);
        const http_errno error = HTTP_PARSER_ERRNO(&m_parser);
        if (error != HPE_OK && error != HPE_PAUSED) {
            if (m_refusal.status != 0)
                refuse(m_refusal.status, m_refusal.code, m_refusal.message);
            else if (error == HPE_HEADER_OVERFLOW && m_headerCount == 0) // http_parser's own 80 KiB cap,
                refuse(414, ErrorCode::BadFraming,                           // hit before on_url was called
                       QStringLiteral("The request target is longer than %1 bytes").arg(m_limits.maxRequestLineBytes));
            else if (error == HPE_HEADER_OVERFLOW)
                refuse(431, ErrorCode::BadFraming, QStringLiteral("The request header block is too large"));
            else
                refuse(400, ErrorCode::BadFraming,
                       QStringLiteral("Malformed HTTP request: %1").arg(QLatin1String(http_errno_description(error))));
            return;
        }
        // http_parser 2.9.4 accepts a bare LF as a line end; the front door does not. The parser
        // pauses at the start of a request and at the end of its headers, so the bytes of the
        // request line and header block are known exactly: [offset, offset + parsed], the last
        // being the final LF when it paused at the end of the headers.
        if (inHeaders) {
            const size_t end = std::min(size, offset + parsed + (error == HPE_PAUSED ? 1 : 0));
            for (size_t i = offset; i < end; ++i) {
                if (data[i] == '\n' && !m_lastWasCR) {
                    refuse(400, ErrorCode::BadFraming, QStringLiteral("Malformed HTTP request: a line ends with a bare LF"));
                    return;
                }
                // ... nor a CR followed by anything but LF: http_parser takes "\r" + any byte as
                // the blank line ending the headers, Qt's parser does not and drops the request
                // unanswered (tests/fuzz finding 2).
                if (m_lastWasCR && data[i] != '\n') {
                    refuse(400, ErrorCode::BadFraming, QStringLiteral("Malformed HTTP request: a line ends with a bare CR"));
                    return;
                }
                m_lastWasCR = data[i] == '\r';
            }
        }
        for (size_t i = parsed > 2 ? parsed - 2 : 0; i < parsed; ++i) {
            m_tail[0] = m_tail[1];
            m_tail[1] = data[offset + i];
        }
        // Chunked framing: Debian's http_parser (non-strict) takes CR + any byte after a chunk
        // size and any two bytes after chunk data or the last chunk as CRLF; Qt's parser ends the
        // request elsewhere then (tests/fuzz finding 2). The callbacks pause where a CRLF ends.
        if (m_crlfDue) {
            m_crlfDue = false;
            if (m_tail[0] != '\r' || m_tail[1] != '\n') {
                refuse(400, ErrorCode::BadFraming,
                       QStringLiteral("Malformed HTTP request: a chunk size or chunk data is not followed by CRLF"));
                return;
            }
        }
        if (error == HPE_PAUSED)
            http_parser_pause(&m_parser, 0);
        offset += parsed;
        if (m_messageEnded) { // the rest is fed when QHttpServer emits readyRead for it
            m_messageEnded = false;
            completeMessage();
            break;
        }
    }
}

bool ConnectionGuard::checkRequestLine(const char *data, size_t size)
{
    // Debian's http_parser (non-strict) checks only the 'H' of "HTTP/", and takes a line
    // without a version as HTTP/0.9 only when the headers end; Qt's parser closes the connection
    // on either as soon as it reads the line, without an answer (tests/fuzz finding 2). The
    // method's first byte was read before (onMessageBegin); http_parser still checks the method
    // and the target's bytes, this only the separators and the version.
    static constexpr char kVersion[] = "HTTP/0.0\r\n";
    const auto malformed = [this] {
        refuse(400, ErrorCode::BadFraming,
               QStringLiteral("Malformed HTTP request line: expected METHOD SP target SP HTTP/x.y CRLF"));
        return false;
    };
    for (size_t i = 0; i < size && m_lineState != LineState::Done; ++i) {
        const auto c = static_cast<unsigned char>(data[i]);
        switch (m_lineState) {
        case LineState::Method:
            if (c == ' ')
                m_lineState = LineState::Target;
            else if (!std::isalnum(c) && !std::strchr("!#$%&'*+-.^_`|~", c))
                return malformed();
            break;
        case LineState::Target:
            if (c == ' ' && m_lineTargetBytes > 0) {
                m_lineState = LineState::Version;
                m_lineIndex = 0;
            } else if (c == '\r' && m_lineTargetBytes > 0) {
                refuse(505, ErrorCode::BadFraming, QStringLiteral("HTTP/0.9 is not supported; use HTTP/1.1"));
                return false;
            } else if (c <= ' ' || c == 0x7f) {
                return malformed(); // an empty target, whitespace or a control byte (bare LF)
            } else if (++m_lineTargetBytes > m_limits.maxRequestLineBytes) {
                m_lineState = LineState::Done; // http_parser refuses it (414, onUrl)
            }
            break;
        case LineState::Version: {
            const char expected = kVersion[m_lineIndex];
            if (expected == '0' ? !std::isdigit(c) : c != static_cast<unsigned char>(expected))
                return malformed();
            if (++m_lineIndex == int(sizeof(kVersion) - 1))
                m_lineState = LineState::Done;
            break;
        }
        case LineState::Done:
            break;
        }
    }
    return true;
}

bool ConnectionGuard::checkChunkSizeLine(const char *data, size_t size)
{
    // Debian's http_parser reads a chunk size byte above 0x7f through a signed index into its
    // hex table (0x9c counts as a digit 0: "20\x9c" is 0x200), where Qt's parser reads it
    // otherwise and answers a request the front door never saw end (tests/fuzz finding 5).
    // Checked here before http_parser reads the line: 1*HEXDIG, then optional extensions (";",
    // possibly after SP/HTAB, then visible ASCII, SP, HTAB) up to the CR. Whitespace not followed
    // by ";" is refused: Qt's parser read "2 Be@" otherwise than http_parser and answered a
    // request the front door never saw end (fuzz finding 7). The CRLF itself is checked after http_parser's chunk-header callback (m_crlfDue).
    const auto malformed = [this] {
        refuse(400, ErrorCode::BadFraming,
               QStringLiteral("Malformed HTTP request: a chunk size line is not hex digits, an optional extension and CRLF"));
        return false;
    };
    for (size_t i = 0; i < size && m_chunkLineState != ChunkLineState::None; ++i) {
        const auto c = static_cast<unsigned char>(data[i]);
        switch (m_chunkLineState) {
        case ChunkLineState::HeaderEnd: // http_parser paused at the headers' final LF, not yet consumed
            m_chunkLineState = ChunkLineState::FirstDigit;
            break;
        case ChunkLineState::FirstDigit:
            if (!std::isxdigit(c))
                return malformed();
            m_chunkLineState = ChunkLineState::Digits;
            break;
        case ChunkLineState::Digits:
            if (c == '\r')
                m_chunkLineState = ChunkLineState::None;
            else if (c == ';')
                m_chunkLineState = ChunkLineState::Extension;
            else if (c == ' ' || c == '\t')
                m_chunkLineState = ChunkLineState::BeforeExtension;
            else if (!std::isxdigit(c))
                return malformed();
            break;
        case ChunkLineState::BeforeExtension: // BWS must lead to ';' (fuzz finding 7: "2 Be@")
            if (c == ';')
                m_chunkLineState = ChunkLineState::Extension;
            else if (c != ' ' && c != '\t')
                return malformed();
            break;
        case ChunkLineState::Extension:
            if (c == '\r')
                m_chunkLineState = ChunkLineState::None;
            else if (c != '\t' && (c < 0x20 || c > 0x7e))
                return malformed();
            break;
        case ChunkLineState::None:
            break;
        }
    }
    return true;
}

void ConnectionGuard::completeMessage()
{
    ++m_requestsCompleted;
    if (m_table)
        m_table->setIdle(m_tableId, false, monotonicMs());
    m_idleTimer.start();
    // Connection: close or HTTP/1.0 (QHttpServer 6.4 ignores both): answer this one, then close.
    if (m_state != State::Closing) // evict() may have asked for the close already
        m_state = m_keepAlive ? State::Idle : State::Closing;
    // A client that keeps sending requests without reading the answers: with more than
    // maxPendingOutputBytes of them still in the socket's buffers, this request is the last one
    // answered, as after `Connection: close`, so its memory stays bounded.
    if (m_state == State::Idle && m_socket && pendingOutputBytes(m_socket) > m_limits.maxPendingOutputBytes) {
        qCDebug(lcGuard) << "closing after this answer: the client is not reading its answers;"
                         << pendingOutputBytes(m_socket) << "bytes unread";
        m_state = State::Closing;
    }
}

void ConnectionGuard::refuse(int status, ErrorCode code, const QString &message)
{
    m_state = State::Refused;
    m_idleTimer.stop();
    m_headerTimer.stop();
    if (!m_socket)
        return;
    qCDebug(lcGuard) << "refusing a request:" << status << message;
    // Take the connection away from QHttpServer: it sees none of these bytes, now or later.
    QObject::disconnect(m_socket, &QIODevice::readyRead, nullptr, nullptr);
    connect(m_socket, &QIODevice::readyRead, this, &ConnectionGuard::onReadyRead);
    if (m_socket->isTransactionStarted())
        m_socket->commitTransaction();
    m_socket->readAll();

    HttpResponse response = ErrorMapper::toResponse(ApiError(code, message),
                                                    QUuid::createUuid().toString(QUuid::WithoutBraces));
    response.status = status;
    m_refusalBytes = serializeResponse(response, {{QByteArrayLiteral("Connection"), QByteArrayLiteral("close")}});
    if (m_responsesWritten >= m_requestsCompleted) {
        writeRefusal();
    } else {
        // An earlier request of this connection still waits for its answer (a heartbeat with
        // progress is answered after its resume point commits): the refusal follows it, in order
        // (tests/fuzz finding 3). Bounded by the idle timeout.
        qCDebug(lcGuard) << "refusal held until" << m_requestsCompleted - m_responsesWritten << "earlier answer(s) are written";
        m_idleTimer.start();
    }
}

void ConnectionGuard::writeRefusal()
{
    if (m_refusalWritten || !m_socket || m_refusalBytes.isEmpty())
        return;
    m_refusalWritten = true;
    m_socket->write(m_refusalBytes);
    // Half-close once the answers before it and the refusal are out (onBytesWritten), then keep
    // reading (and discarding) for lingerMs so that a client still sending its body gets the
    // answer rather than a reset. The linger starts there, not here: a client that reads slowly
    // may leave them in the write buffer for longer, and the linger's abort would discard them
    // (tests/fuzz findings 9 and 10). Until then the idle timeout bounds a client that never reads.
    m_idleTimer.start();
}

void ConnectionGuard::onBytesWritten(qint64)
{
    // Progress: until the half-close, the idle timeout counts from the last write that got out,
    // so a client reading a large backlog steadily but slowly is not cut off.
    if (!m_halfClosed && (m_state == State::Idle || m_state == State::Closing || m_state == State::Refused))
        m_idleTimer.start();
    if ((m_state == State::Refused && m_refusalWritten)
        || (m_state == State::Closing && m_responsesWritten >= m_requestsCompleted)) {
        // Over TLS, QSslSocket emits bytesWritten after encrypting and before handing the
        // encrypted bytes to the TCP socket (they are in OpenSSL's buffer, counted nowhere):
        // look again once that has happened.
        if (auto *tls = qobject_cast<QSslSocket *>(m_socket.data()); tls && tls->isEncrypted())
            QMetaObject::invokeMethod(this, &ConnectionGuard::halfCloseWhenFlushed, Qt::QueuedConnection);
        else
            halfCloseWhenFlushed();
    }
}

void ConnectionGuard::halfCloseWhenFlushed()
{
    if (m_halfClosed || !m_socket || m_socket->bytesToWrite() > 0)
        return;
    if (auto *tls = qobject_cast<QSslSocket *>(m_socket.data()); tls && tls->encryptedBytesToWrite() > 0)
        return;
    m_halfClosed = true;
    ::shutdown(int(m_socket->socketDescriptor()), SHUT_WR);
    m_idleTimer.stop();
    m_lingerInput = false;
    m_lingerUnacknowledged = unacknowledgedBytes(m_socket);
    m_lingerDeadlineMs = monotonicMs() + std::max(m_limits.idleTimeoutMs, m_limits.lingerMs);
    m_lingerTimer.start();
}

void ConnectionGuard::endHeader()
{
    if (m_field.compare("expect", Qt::CaseInsensitive) == 0
        && m_value.trimmed().compare("100-continue", Qt::CaseInsensitive) == 0)
        m_expectContinue = true;
    if (m_field.compare("host", Qt::CaseInsensitive) == 0)
        ++m_hostCount;
    m_field.clear();
    m_value.clear();
}

int ConnectionGuard::onMessageBegin(http_parser *parser)
{
    ConnectionGuard *g = guardOf(parser);
    g->m_state = State::Headers;
    g->m_lastWasCR = false;
    g->m_lineState = LineState::Method; // its first byte is read
    g->m_lineIndex = 0;
    g->m_lineTargetBytes = 0;
    g->m_crlfDue = false;
    g->m_chunkIsLast = false;
    g->m_chunkLineState = ChunkLineState::None;
    g->m_urlBytes = 0;
    g->m_escapeDigitsDue = 0;
    g->m_targetStart.clear();
    g->m_headerBytes = 0;
    g->m_headerCount = 0;
    g->m_bodyBytes = 0;
    g->m_inValue = false;
    g->m_field.clear();
    g->m_value.clear();
    g->m_expectContinue = false;
    g->m_hostCount = 0;
    g->m_idleTimer.stop();
    g->m_headerTimer.start();
    http_parser_pause(parser, 1); // the header phase starts here (bare-LF check)
    return 0;
}

int ConnectionGuard::onUrl(http_parser *parser, const char *at, size_t length)
{
    ConnectionGuard *g = guardOf(parser);
    g->m_urlBytes += qint64(length);
    if (g->m_urlBytes > g->m_limits.maxRequestLineBytes) {
        g->m_refusal = {414, ErrorCode::BadFraming,
                        QStringLiteral("The request target is longer than %1 bytes").arg(g->m_limits.maxRequestLineBytes)};
        return -1;
    }
    // Every '%' must start a two-hex-digit escape (RFC 3986 §2.1). Qt would otherwise take a
    // target with one bad escape in tolerant mode and read every '%' in it literally.
    // Origin-form starts with one '/': Qt 6.4 reads a leading "//x" as a host and drops "x".
    if (g->m_targetStart.size() < 2) {
        g->m_targetStart.append(at, qsizetype(std::min<size_t>(length, size_t(2 - g->m_targetStart.size()))));
        if (g->m_targetStart == "//") {
            g->m_refusal = {400, ErrorCode::BadFraming, QStringLiteral("The request target must not start with \"//\"")};
            return -1;
        }
    }
    for (size_t i = 0; i < length; ++i) {
        const char c = at[i];
        if (static_cast<unsigned char>(c) >= 0x80) {
            // RFC 3986: a target is ASCII; other bytes must be percent-encoded.
            g->m_refusal = {400, ErrorCode::BadFraming,
                            QStringLiteral("The request target contains a byte that is not ASCII; percent-encode it")};
            return -1;
        }
        if (c == '#') {
            // A fragment is never part of a request target (RFC 9110 §7.1, RFC 9112 §3.2); Qt's
            // QUrl would drop it and serve the rest (tests/fuzz finding 8).
            g->m_refusal = {400, ErrorCode::BadFraming,
                            QStringLiteral("The request target contains '#': a fragment is not sent in a request")};
            return -1;
        }
        if (g->m_escapeDigitsDue > 0) {
            if (!std::isxdigit(static_cast<unsigned char>(c))) {
                g->m_refusal = {400, ErrorCode::BadFraming,
                                QStringLiteral("The request target has a malformed percent-escape")};
                return -1;
            }
            --g->m_escapeDigitsDue;
        } else if (c == '%') {
            g->m_escapeDigitsDue = 2;
        }
    }
    return 0;
}

int ConnectionGuard::onHeaderField(http_parser *parser, const char *at, size_t length)
{
    ConnectionGuard *g = guardOf(parser);
    if (g->m_state == State::Body) {
        // A trailer field after the last chunk: the API has no use for them, and QHttpServer 6.4
        // ends the request at the last chunk, leaving them to be read as the next request.
        g->m_refusal = {400, ErrorCode::BadFraming, QStringLiteral("Trailer fields are not accepted")};
        return -1;
    }
    if (g->m_inValue || g->m_headerCount == 0) { // a new header line
        if (g->m_headerCount > 0)
            g->endHeader();
        g->m_inValue = false;
        ++g->m_headerCount;
        g->m_headerBytes += 4; // ": " and CRLF
    }
    g->m_headerBytes += qint64(length);
    if (g->m_headerCount > g->m_limits.maxHeaderCount || g->m_headerBytes > g->m_limits.maxHeaderBytes) {
        g->m_refusal = {431, ErrorCode::BadFraming,
                        QStringLiteral("The request has more than %1 headers or more than %2 bytes of them")
                            .arg(g->m_limits.maxHeaderCount).arg(g->m_limits.maxHeaderBytes)};
        return -1;
    }
    // A field name is a token (RFC 9110 §5.1): whitespace before the colon must be refused
    // (RFC 9112 §5.1); Qt 6.4 would otherwise drop every header of the request.
    for (size_t i = 0; i < length; ++i) {
        if (at[i] == ' ' || at[i] == '\t') {
            g->m_refusal = {400, ErrorCode::BadFraming,
                            QStringLiteral("A header field name contains whitespace")};
            return -1;
        }
    }
    if (g->m_field.size() < 64)
        g->m_field.append(at, qsizetype(length));
    return 0;
}

int ConnectionGuard::onHeaderValue(http_parser *parser, const char *at, size_t length)
{
    ConnectionGuard *g = guardOf(parser);
    g->m_inValue = true;
    g->m_headerBytes += qint64(length);
    if (g->m_headerBytes > g->m_limits.maxHeaderBytes) {
        g->m_refusal = {431, ErrorCode::BadFraming,
                        QStringLiteral("The request has more than %1 bytes of headers").arg(g->m_limits.maxHeaderBytes)};
        return -1;
    }
    if (g->m_value.size() < 64)
        g->m_value.append(at, qsizetype(length));
    return 0;
}

int ConnectionGuard::onHeadersComplete(http_parser *parser)
{
    ConnectionGuard *g = guardOf(parser);
    if (g->m_headerCount > 0)
        g->endHeader();
    g->m_headerTimer.stop();
    if (g->m_escapeDigitsDue > 0) {
        g->m_refusal = {400, ErrorCode::BadFraming, QStringLiteral("The request target has a malformed percent-escape")};
        return -1;
    }
    if (parser->http_major != 1 || parser->http_minor > 1) {
        g->m_refusal = {505, ErrorCode::BadFraming,
                        QStringLiteral("HTTP/%1.%2 is not supported; use HTTP/1.1")
                            .arg(parser->http_major).arg(parser->http_minor)};
        return -1;
    }
    // RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without a Host header and
    // to any request with more than one Host line (HTTP/1.0 requests may go without).
    if (g->m_hostCount > 1) {
        g->m_refusal = {400, ErrorCode::BadFraming, QStringLiteral("The request has more than one Host header")};
        return -1;
    }
    if (g->m_hostCount == 0 && parser->http_minor == 1) {
        g->m_refusal = {400, ErrorCode::BadFraming, QStringLiteral("An HTTP/1.1 request needs a Host header")};
        return -1;
    }
    const bool chunked = (parser->flags & F_CHUNKED) != 0;
    const bool hasLength = parser->content_length != ULLONG_MAX;
    if (!chunked && hasLength && parser->content_length > quint64(g->m_limits.maxBodyBytes)) {
        g->m_refusal = {413, ErrorCode::BodyTooLarge,
                        QStringLiteral("The request body is larger than %1 bytes").arg(g->m_limits.maxBodyBytes)};
        return -1;
    }
    if (g->m_expectContinue && parser->http_minor == 1 && (chunked || (hasLength && parser->content_length > 0))
        && g->m_socket) {
        // QHttpServer 6.4 never answers Expect: 100-continue (qt64-notes.md).
        static const QByteArray kContinue = QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n");
        g->m_socket->write(kContinue);
    }
    g->m_state = State::Body;
    if (chunked)
        g->m_chunkLineState = ChunkLineState::HeaderEnd; // the body starts with a chunk-size line
    g->m_idleTimer.start();
    http_parser_pause(parser, 1); // the header phase ends here (bare-LF check)
    return 0;
}

int ConnectionGuard::onBody(http_parser *parser, const char *, size_t length)
{
    ConnectionGuard *g = guardOf(parser);
    g->m_bodyBytes += qint64(length);
    if (g->m_bodyBytes > g->m_limits.maxBodyBytes) {
        g->m_refusal = {413, ErrorCode::BodyTooLarge,
                        QStringLiteral("The request body is larger than %1 bytes").arg(g->m_limits.maxBodyBytes)};
        return -1;
    }
    return 0;
}

int ConnectionGuard::onChunkHeader(http_parser *parser)
{
    ConnectionGuard *g = guardOf(parser);
    g->m_chunkIsLast = parser->content_length == 0;
    g->m_crlfDue = true; // after the chunk size (feed)
    http_parser_pause(parser, 1);
    return 0;
}

int ConnectionGuard::onChunkComplete(http_parser *parser)
{
    ConnectionGuard *g = guardOf(parser);
    if (!g->m_chunkIsLast) { // the last chunk's blank line is checked when the message ends
        g->m_crlfDue = true; // after the chunk data (feed)
        g->m_chunkLineState = ChunkLineState::FirstDigit; // then the next chunk-size line
        http_parser_pause(parser, 1);
    }
    return 0;
}

int ConnectionGuard::onMessageComplete(http_parser *parser)
{
    ConnectionGuard *g = guardOf(parser);
    g->m_keepAlive = http_should_keep_alive(parser) != 0;
    if (parser->flags & F_CHUNKED)
        g->m_crlfDue = true; // the blank line after the last chunk (feed)
    g->m_messageEnded = true; // counted by feed() (completeMessage) once the framing is checked
    http_parser_pause(parser, 1);
    return 0;
}

} // namespace oxm
