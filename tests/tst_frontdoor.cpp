// The strict front door (issue 4; docs/api.md, "Front door limits"): ConnectionGuard in front of
// QHttpServer, driven over raw TCP with exact bytes. Responses are split with http_parser in
// HTTP_RESPONSE mode.
#include "rawclient.h"
#include "testsupport.h"

#include "http/connectiontable.h"
#include "http/guardedtcpserver.h"
#include "http/httpserveradapter.h"
#include "http/requesthandler.h"
#include "oxmservice.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QDateTime>
#include <QLocale>
#include <QRegularExpression>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTest>
#include <QScopeGuard>
#include <cerrno>
#include <cstring>
#include <sys/resource.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <atomic>
#include <cstddef>
#include <unistd.h>
#include <memory>
#include <vector>

using namespace oxm;
using namespace oxm::test;

namespace {

// Time budgets scale with timeScale() (1 normally, more under the sanitizers, which slow every
// step several times): the server's timeouts and every wait for an answer or a close.
int ms(int budget)
{
    return budget * timeScale();
}
const int kIdleTimeoutMs = ms(1000);
const int kHeaderTimeoutMs = ms(1000);
constexpr int kMaxConnections = 20;

const QByteArray kHealth = QByteArrayLiteral("/oxm/v1/healthz");
const QByteArray kPolicy = QByteArrayLiteral("/oxm/v1/streampolicy/acme"); // 401/1000 without a token

/// Requests pipelined by the slow-reader tests: ~400 KiB of answers, twice what an AF_UNIX
/// socket's buffers hold.
constexpr int kSlowReaderRequests = 3000;

/// `count` × GET `target`, then a request with a space in its target (400/1100).
QByteArray pipelinedThenRefused(int count = kSlowReaderRequests, const QByteArray &target = kHealth)
{
    QByteArray bytes;
    for (int i = 0; i < count; ++i)
        bytes += rawRequest("GET", target);
    return bytes + "GET /oxm/v1/a b HTTP/1.1\r\nHost: a\r\n\r\n";
}

/// FrontDoorLimits with these timeouts (ms) and cap, the rest the defaults.
FrontDoorLimits limitsOf(int idleTimeoutMs, int lingerMs, int maxConnections = 1000)
{
    FrontDoorLimits limits;
    limits.idleTimeoutMs = idleTimeoutMs;
    limits.lingerMs = lingerMs;
    limits.maxConnections = maxConnections;
    return limits;
}

/// A front door (GuardedTcpServer + HttpServerAdapter over the fixture's RequestHandler) with
/// limits of the test's choosing, served on the test thread's event loop, as in tests/fuzz. On
/// an AF_UNIX socket in the abstract namespace for the tests of a client that does not read:
/// its buffers are fixed (~200 KiB), where on loopback TCP the kernel grows the server's send
/// buffer to ~4 MiB (measured with ss), which would take 30,000 answers to fill. On loopback TCP
/// for what only TCP does (a reset that discards undelivered output).
class LocalFrontDoor
{
public:
    enum class Transport { Unix, Tcp };

    LocalFrontDoor(RequestHandler &handler, const FrontDoorLimits &limits, Transport transport = Transport::Unix)
        : m_adapter(handler)
        , m_transport(transport)
    {
        m_table = std::make_shared<ConnectionTable>(limits.maxConnections);
        QObject::connect(&handler, &RequestHandler::requestCompleted, &m_adapter,
                         [this](const RequestLogEntry &) { ++m_handled; }, Qt::DirectConnection);
        auto *server = new GuardedTcpServer(limits, m_table);
        m_adapter.bind(server); // owns it
        if (transport == Transport::Tcp) {
            m_listening = server->listen(QHostAddress::LocalHost, 0);
            m_port = server->serverPort();
            return;
        }
        static int instance = 0;
        const QByteArray name = "oxm-frontdoor-" + QByteArray::number(QCoreApplication::applicationPid()) + '-'
            + QByteArray::number(++instance);
        m_address.sun_family = AF_UNIX;
        std::memcpy(m_address.sun_path + 1, name.constData(), size_t(name.size()));
        m_length = socklen_t(offsetof(sockaddr_un, sun_path) + 1 + size_t(name.size()));
        const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listener < 0 || ::bind(listener, reinterpret_cast<const sockaddr *>(&m_address), m_length) != 0
            || ::listen(listener, 4) != 0)
            return;
        m_listening = server->setSocketDescriptor(listener);
    }

    bool listening() const { return m_listening; }
    /// Requests the RequestHandler completed since construction (any server of the fixture).
    int handled() const { return m_handled.load(); }
    int openConnections() const { return m_table->openConnections(); }

    /// A non-blocking client socket connected to this front door, or -1.
    int connectClient() const
    {
        int fd = -1;
        int connected = -1;
        if (m_transport == Transport::Tcp) {
            fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in address{};
            address.sin_family = AF_INET;
            address.sin_port = htons(m_port);
            address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (fd >= 0)
                connected = ::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address);
            if (connected == 0)
                connected = ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        } else {
            fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd >= 0)
                connected = ::connect(fd, reinterpret_cast<const sockaddr *>(&m_address), m_length);
        }
        if (fd >= 0 && connected != 0) {
            ::close(fd);
            return -1;
        }
        return fd;
    }

    /// Sends `bytes` on `fd` without reading anything, serving events, until all are sent and
    /// (unless `handledAtLeast` is negative) the API has handled that many requests, or 20 s ×
    /// timeScale() passed.
    void sendNotReading(int fd, const QByteArray &bytes, int handledAtLeast = kSlowReaderRequests)
    {
        QElapsedTimer timer;
        timer.start();
        qsizetype sent = 0;
        while ((sent < bytes.size() || handled() < handledAtLeast) && timer.elapsed() < ms(20000)) {
            const ssize_t n = ::send(fd, bytes.constData() + sent, size_t(bytes.size() - sent), MSG_NOSIGNAL);
            if (n > 0)
                sent += n;
            QTest::qWait(1);
        }
    }

    /// Reads `fd` into `parser`, serving events, until the server closes it; false on timeout.
    /// `chunk` bytes at most per read and `pauseMs` between reads: a slow reader. With `trickle`,
    /// it sends a byte every `trickle` ms until a refusal (Connection: close) has arrived: a
    /// client still sending its body. `reset` tells whether the end was a reset (ECONNRESET).
    static bool readUntilClosed(int fd, ResponseParser &parser, int timeoutMs, int chunk = 65536, int pauseMs = 1,
                                int trickle = 0, bool *reset = nullptr)
    {
        QByteArray buffer(chunk, Qt::Uninitialized);
        QElapsedTimer timer, sinceSend;
        timer.start();
        sinceSend.start();
        while (timer.elapsed() < timeoutMs) {
            if (trickle > 0 && sinceSend.elapsed() >= trickle
                && (parser.responses.isEmpty() || parser.responses.constLast().header("connection") != "close")) {
                ::send(fd, "x", 1, MSG_NOSIGNAL);
                sinceSend.restart();
            }
            const ssize_t n = ::recv(fd, buffer.data(), size_t(chunk), 0);
            if (n > 0) {
                parser.feed(buffer.left(n));
                QTest::qWait(pauseMs);
            } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                if (reset)
                    *reset = n < 0 && errno == ECONNRESET;
                return true; // closed or reset
            } else {
                QTest::qWait(1);
            }
        }
        return false;
    }

private:
    HttpServerAdapter m_adapter;
    Transport m_transport;
    std::shared_ptr<ConnectionTable> m_table;
    std::atomic<int> m_handled{0};
    sockaddr_un m_address{};
    socklen_t m_length = 0;
    quint16 m_port = 0;
    bool m_listening = false;
};

} // namespace

class FrontDoorTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        m_fixture = std::make_unique<ServiceFixture>([](ServiceConfig &config) {
            config.idleTimeoutMs = kIdleTimeoutMs;
            config.headerTimeoutMs = kHeaderTimeoutMs;
            config.maxConnections = kMaxConnections;
        });
        QVERIFY(m_fixture->port() != 0);
    }
    void cleanupTestCase() { m_fixture.reset(); }

    void singleRequest_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("status");
        QTest::addColumn<int>("errorCode"); // -1: not checked (a success without errorCode)

        const qint64 mib = 1048576;
        // Request target: at most 8192 bytes.
        const QByteArray target8k = kHealth + "?pad=" + QByteArray(8192 - kHealth.size() - 5, 'a');
        QTest::newRow("healthz") << rawRequest("GET", kHealth) << 200 << -1;
        QTest::newRow("target 8192 bytes") << rawRequest("GET", target8k) << 200 << -1;
        QTest::newRow("target 8193 bytes → 414") << rawRequest("GET", target8k + 'a') << 414 << 1100;
        QTest::newRow("target 2 MiB → 414") << rawRequest("GET", kHealth + "?pad=" + QByteArray(2 * mib, 'a')) << 414 << 1100;
        QTest::newRow("one header of 2 MiB → 431") << rawRequest("GET", kHealth, "X-Big: " + QByteArray(2 * mib, 'a') + "\r\n") << 431 << 1100;
        // Header block: at most 16384 bytes (17 for Host + 15 × 1014 = 15227; 17 + 16 × 1014 = 16241
        // ≤ 16384; 17 + 17 × 1014 = 17255 > 16384).
        QTest::newRow("headers 16241 bytes") << rawRequest("GET", kHealth, padHeaders(16, 1000)) << 200 << -1;
        QTest::newRow("headers 17255 bytes → 431") << rawRequest("GET", kHealth, padHeaders(17, 1000)) << 431 << 1100;
        // Header count: at most 100 lines (Host + 99; Host + 100).
        QTest::newRow("100 headers") << rawRequest("GET", kHealth, padHeaders(99, 1)) << 200 << -1;
        QTest::newRow("101 headers → 431") << rawRequest("GET", kHealth, padHeaders(100, 1)) << 431 << 1100;
        // Body: at most 1 MiB, by Content-Length (decided before the body) or chunked.
        QTest::newRow("body 1 MiB") << rawRequest("PUT", kPolicy, {}, QByteArray(mib, 'x')) << 401 << 1000;
        QTest::newRow("body 1 MiB + 1 → 413")
            << rawRequest("PUT", kPolicy, {}, QByteArray(mib + 1, 'x')) << 413 << 1090;
        QTest::newRow("Content-Length 1 MiB + 1, no body sent → 413")
            << rawRequest("PUT", kPolicy, "Content-Length: " + QByteArray::number(mib + 1) + "\r\n") << 413 << 1090;
        QTest::newRow("chunked 1 MiB")
            << rawRequest("PUT", kPolicy, "Transfer-Encoding: chunked\r\n", chunkedBody(mib, 65536), false) << 401 << 1000;
        QTest::newRow("chunked 1 MiB + 1 → 413")
            << rawRequest("PUT", kPolicy, "Transfer-Encoding: chunked\r\n", chunkedBody(mib + 1, 65536), false) << 413 << 1090;
        QTest::newRow("Expect 100-continue over the limit → 413")
            << rawRequest("PUT", kPolicy, "Expect: 100-continue\r\nContent-Length: 2000000\r\n") << 413 << 1090;
        // Framing.
        QTest::newRow("Content-Length + Transfer-Encoding → 400")
            << rawRequest("PUT", kPolicy, "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n", false) << 400 << 1100;
        QTest::newRow("duplicate Content-Length → 400")
            << rawRequest("PUT", kPolicy, "Content-Length: 2\r\nContent-Length: 2\r\n", "{}", false) << 400 << 1100;
        QTest::newRow("conflicting Content-Length → 400")
            << rawRequest("PUT", kPolicy, "Content-Length: 2\r\nContent-Length: 3\r\n", "{}x", false) << 400 << 1100;
        QTest::newRow("Content-Length 2^64-1 → 400")
            << rawRequest("PUT", kPolicy, "Content-Length: 18446744073709551615\r\n", "{}", false) << 400 << 1100;
        QTest::newRow("Content-Length negative → 400")
            << rawRequest("PUT", kPolicy, "Content-Length: -1\r\n", "{}", false) << 400 << 1100;
        QTest::newRow("Transfer-Encoding gzip → 400")
            << rawRequest("PUT", kPolicy, "Transfer-Encoding: gzip\r\n", "{}", false) << 400 << 1100;
        QTest::newRow("bare LF everywhere → 400")
            << QByteArray("GET /oxm/v1/healthz HTTP/1.1\nHost: 127.0.0.1\n\n") << 400 << 1100;
        QTest::newRow("bare LF after one header → 400")
            << QByteArray("GET /oxm/v1/healthz HTTP/1.1\r\nHost: 127.0.0.1\nX-A: b\r\n\r\n") << 400 << 1100;
        QTest::newRow("bare CR → 400") << QByteArray("GET /oxm/v1/healthz HTTP/1.1\rHost: a\r\n\r\n") << 400 << 1100;
        // http_parser 2.9.4 ends the header block at "\r" + any byte; Qt then dropped the request
        // unanswered until the idle timeout (found by tests/fuzz).
        QTest::newRow("CR then ':' ends the headers → 400")
            << QByteArray("GET /oxm/v1/healthz HTTP/1.1\r\nHost: x\r\n\r:") << 400 << 1100;
        QTest::newRow("CR then 'X' in the blank line → 400")
            << QByteArray("GET /oxm/v1/healthz HTTP/1.1\r\nHost: x\r\n\rX\r\n") << 400 << 1100;
        QTest::newRow("garbage bytes → 400") << QByteArray("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) << 400 << 1100;
        QTest::newRow("lower-case method → 400") << QByteArray("get /oxm/v1/healthz HTTP/1.1\r\n\r\n") << 400 << 1100;
        QTest::newRow("control character in a header name → 400")
            << QByteArray("GET /oxm/v1/healthz HTTP/1.1\r\nX\x01Y: a\r\n\r\n") << 400 << 1100;
        QTest::newRow("space in the target → 400") << QByteArray("GET /oxm/v1/a b HTTP/1.1\r\n\r\n") << 400 << 1100;
        // Percent-escapes (RFC 3986 §2.1): '%' must be followed by two hex digits.
        QTest::newRow("escapes %2F and %c3%A9 well formed") << rawRequest("GET", "/oxm/v1/healthz?x=a%2Fb%c3%A9") << 200 << -1;
        QTest::newRow("escape %zz in the path → 400") << rawRequest("GET", "/oxm/v1/towatch/a%zz") << 400 << 1100;
        QTest::newRow("escape %4 then end of target → 400") << rawRequest("GET", "/oxm/v1/healthz?x=%4") << 400 << 1100;
        QTest::newRow("lone % in the query → 400") << rawRequest("GET", "/oxm/v1/healthz?x=100%") << 400 << 1100;
        QTest::newRow("target starting with // → 400") << rawRequest("GET", "//x/oxm/v1/healthz") << 400 << 1100;
        QTest::newRow("raw byte 0xFF in the path → 400") << rawRequest("GET", "/oxm/v1/towatch/a\xff" "b") << 400 << 1100;
        QTest::newRow("raw UTF-8 in the query → 400") << rawRequest("GET", "/oxm/v1/healthz?x=\xc3\xa9") << 400 << 1100;
        QTest::newRow("space before a header colon → 400")
            << QByteArray("GET /oxm/v1/healthz HTTP/1.1\r\nHost : a\r\n\r\n") << 400 << 1100;
        // Versions.
        QTest::newRow("HTTP/1.0") << QByteArray("GET /oxm/v1/healthz HTTP/1.0\r\n\r\n") << 200 << -1;
        // Host (RFC 9112 §3.2): required in HTTP/1.1, at most one line in any version; its value
        // may be empty.
        QTest::newRow("HTTP/1.1 without Host → 400") << QByteArray("GET /oxm/v1/healthz HTTP/1.1\r\n\r\n") << 400 << 1100;
        QTest::newRow("HTTP/1.1 with two Host lines → 400")
            << QByteArray("GET /oxm/v1/healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") << 400 << 1100;
        QTest::newRow("HTTP/1.0 with two Host lines → 400")
            << QByteArray("GET /oxm/v1/healthz HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n") << 400 << 1100;
        QTest::newRow("HTTP/1.1, Host in lower case") << QByteArray("GET /oxm/v1/healthz HTTP/1.1\r\nhost: a\r\n\r\n") << 200 << -1;
        QTest::newRow("HTTP/1.1, Host with an empty value") << QByteArray("GET /oxm/v1/healthz HTTP/1.1\r\nHost:\r\n\r\n") << 200 << -1;
        QTest::newRow("HTTP/9.9 → 505") << QByteArray("GET /oxm/v1/healthz HTTP/9.9\r\nHost: a\r\n\r\n") << 505 << 1100;
        QTest::newRow("HTTP/2.0 → 505") << QByteArray("GET /oxm/v1/healthz HTTP/2.0\r\nHost: a\r\n\r\n") << 505 << 1100;
        QTest::newRow("HTTP/1.2 → 505") << QByteArray("GET /oxm/v1/healthz HTTP/1.2\r\nHost: a\r\n\r\n") << 505 << 1100;
        QTest::newRow("HTTP/0.9 (no version) → 505") << QByteArray("GET /oxm/v1/healthz\r\n\r\n") << 505 << 1100;
        // The request line is checked as it arrives: METHOD SP target SP "HTTP/" DIGIT "." DIGIT
        // CRLF. Debian's http_parser checks only the 'H' of "HTTP/" and reads a missing version
        // only when the headers end; Qt closed the connection without an answer (tests/fuzz finding 2).
        QTest::newRow("version HXXX/1.1 → 400") << QByteArray("GET /oxm/v1/healthz HXXX/1.1\r\nHost: a\r\n\r\n") << 400 << 1100;
        QTest::newRow("version HTa2/1.1 → 400") << QByteArray("GET /oxm/v1/healthz HTa2/1.1\r\nHost: a\r\n\r\n") << 400 << 1100;
        QTest::newRow("version http/1.1 → 400") << QByteArray("GET /oxm/v1/healthz http/1.1\r\nHost: a\r\n\r\n") << 400 << 1100;
        QTest::newRow("version HTTP/1.10 → 400") << QByteArray("GET /oxm/v1/healthz HTTP/1.10\r\nHost: a\r\n\r\n") << 400 << 1100;
        QTest::newRow("version HTTP/1 → 400") << QByteArray("GET /oxm/v1/healthz HTTP/1\r\nHost: a\r\n\r\n") << 400 << 1100;
        QTest::newRow("two spaces before the version → 400")
            << QByteArray("GET /oxm/v1/healthz  HTTP/1.1\r\nHost: a\r\n\r\n") << 400 << 1100;
        QTest::newRow("two spaces before the target → 400")
            << QByteArray("GET  /oxm/v1/healthz HTTP/1.1\r\nHost: a\r\n\r\n") << 400 << 1100;
        QTest::newRow("no version, header block not ended → 505")
            << QByteArray("PUT /oxm/v1/streams/a1/stopped?progress=2\r\nAuthorization: Bearer x\r\n") << 505 << 1100;
        // Chunked framing: CRLF after each chunk size and chunk data, no trailer fields. Debian's
        // http_parser takes any byte for the LF after a size and any two bytes after the data;
        // Qt's parser then ended the request elsewhere (tests/fuzz finding 2).
        const QByteArray te = "Transfer-Encoding: chunked\r\n";
        QTest::newRow("chunked, two chunks") << rawRequest("PUT", kPolicy, te, "1\r\n{\r\n1\r\n}\r\n0\r\n\r\n", false) << 401 << 1000;
        QTest::newRow("chunk size, CR then 'X' → 400") << rawRequest("PUT", kPolicy, te, "2\rX{}\r\n0\r\n\r\n", false) << 400 << 1100;
        QTest::newRow("chunk data, then 'XY' → 400") << rawRequest("PUT", kPolicy, te, "2\r\n{}XY0\r\n\r\n", false) << 400 << 1100;
        QTest::newRow("chunk data, then CR 'X' → 400") << rawRequest("PUT", kPolicy, te, "2\r\n{}\rX0\r\n\r\n", false) << 400 << 1100;
        QTest::newRow("last chunk, then bare LF → 400") << rawRequest("PUT", kPolicy, te, "2\r\n{}\r\n0\r\n\n", false) << 400 << 1100;
        QTest::newRow("last chunk, then CR 'X' → 400") << rawRequest("PUT", kPolicy, te, "2\r\n{}\r\n0\r\n\rX", false) << 400 << 1100;
        QTest::newRow("trailer field → 400")
            << rawRequest("PUT", kPolicy, te, "2\r\n{}\r\n0\r\nX-T: y\r\n\r\n", false) << 400 << 1100;
    }

    void singleRequest()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, status);
        QFETCH(int, errorCode);
        RawClient client(m_fixture->port());
        QVERIFY(client.connected());
        client.send(bytes);
        client.waitForResponses(1);
        QVERIFY2(!client.parser.failed, "the response is not valid HTTP");
        QCOMPARE(client.parser.responses.size(), 1);
        const RawResponse &response = client.parser.responses.constLast();
        QCOMPARE(response.status, status);
        // Every answer, QHttpServer's and the guard's, carries Date (RFC 9110 §6.6.1) as an
        // IMF-fixdate (§5.6.7) close to now.
        const QByteArray date = response.header("date");
        static const QRegularExpression imfFixdate(QStringLiteral(
            "^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-3][0-9] (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
            "[0-9]{4} [0-2][0-9]:[0-5][0-9]:[0-6][0-9] GMT$"));
        QVERIFY2(imfFixdate.match(QString::fromLatin1(date)).hasMatch(), date.constData());
        QDateTime sent = QLocale::c().toDateTime(QString::fromLatin1(date.left(25)), QStringLiteral("ddd, dd MMM yyyy hh:mm:ss"));
        sent.setTimeSpec(Qt::UTC);
        QVERIFY2(std::abs(sent.secsTo(QDateTime::currentDateTimeUtc())) <= 60, date.constData());
        if (errorCode >= 0) {
            QCOMPARE(response.errorCode(), errorCode);
            QVERIFY(!QJsonDocument::fromJson(response.body).object().value(QStringLiteral("requestID")).toString().isEmpty());
            QCOMPARE(response.header("content-type"), QByteArray("application/json; charset=utf-8"));
        }
        if (status >= 400 && status != 401) {
            // The guard answered: Connection: close, then the server closes.
            QCOMPARE(response.header("connection"), QByteArray("close"));
            QVERIFY(client.waitForClose(ms(3000)) >= 0);
        }
    }

    void largeBodyStillSendingGets413()
    {
        RawClient client(m_fixture->port());
        QVERIFY(client.connected());
        const qint64 size = 2 * 1048576;
        client.send(rawRequest("PUT", kPolicy, "Content-Length: " + QByteArray::number(size) + "\r\n"));
        // Send the body in pieces while the answer may already be on its way.
        for (int i = 0; i < 32 && client.connected(); ++i) {
            client.socket().write(QByteArray(size / 32, 'x'));
            client.socket().waitForBytesWritten(200);
        }
        client.waitForResponses(1);
        QCOMPARE(client.parser.responses.size(), 1);
        QCOMPARE(client.parser.responses.constLast().status, 413);
        QCOMPARE(client.parser.responses.constLast().errorCode(), 1090);
    }

    void expectContinue()
    {
        RawClient client(m_fixture->port());
        QVERIFY(client.connected());
        client.send(rawRequest("PUT", kPolicy, "Expect: 100-continue\r\nContent-Length: 2\r\n"));
        QElapsedTimer timer;
        timer.start();
        while (client.parser.interimResponses.isEmpty() && timer.elapsed() < ms(3000))
            if (client.socket().waitForReadyRead(50))
                client.parser.feed(client.socket().readAll());
        QCOMPARE(client.parser.interimResponses.size(), 1);
        QCOMPARE(client.parser.interimResponses.constFirst().status, 100);
        QVERIFY(client.parser.responses.isEmpty()); // nothing final before the body
        QVERIFY2(timer.elapsed() < ms(900), "100 Continue came late");
        client.send("{}");
        client.waitForResponses(1);
        QCOMPARE(client.parser.responses.size(), 1);
        QCOMPARE(client.parser.responses.at(0).status, 401);
        QCOMPARE(client.parser.responses.at(0).errorCode(), 1000);
        QCOMPARE(client.parser.interimResponses.size(), 1);
    }

    void pipelined_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("answers");
        QTest::addColumn<bool>("closes");
        const QByteArray get = rawRequest("GET", kHealth);
        const QByteArray getClose = rawRequest("GET", kHealth, "Connection: close\r\n");
        QTest::newRow("two requests in one segment") << get + get << 2 << false;
        QTest::newRow("three, one of them with a body") << get + rawRequest("PUT", kPolicy, {}, "{}") + get << 3 << false;
        QTest::newRow("second with Connection: close") << get + getClose << 2 << true;
        QTest::newRow("Connection: close") << getClose << 1 << true;
        QTest::newRow("HTTP/1.0 closes") << QByteArray("GET /oxm/v1/healthz HTTP/1.0\r\n\r\n") << 1 << true;
        QTest::newRow("valid, then bare LF → 200, 400")
            << get + QByteArray("GET /oxm/v1/healthz HTTP/1.1\nHost: a\n\n") << 2 << true;
    }

    void pipelined()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, answers);
        QFETCH(bool, closes);
        RawClient client(m_fixture->port());
        QVERIFY(client.connected());
        client.send(bytes);
        client.waitForResponses(answers);
        QVERIFY(!client.parser.failed);
        QCOMPARE(client.parser.responses.size(), answers);
        const qint64 closedAfter = client.waitForClose(closes ? 3000 : 300);
        QCOMPARE(closedAfter >= 0, closes);
    }

    void pipelinedAnswersKeepRequestOrder()
    {
        // A heartbeat stop with progress is answered after its commit (deferred); the DELETE and
        // GET pipelined behind it must run after it and be answered in order: 204, 204, 404.
        const QByteArray auth = "Authorization: Bearer " + m_fixture->token(QStringLiteral("acme"), QStringLiteral("pipeliner")) + "\r\n";
        for (int round = 0; round < 10; ++round) {
            const QByteArray asset = "/oxm/v1/streams/episode-" + QByteArray::number(round);
            RawClient client(m_fixture->port());
            QVERIFY(client.connected());
            client.send(rawRequest("PUT", asset + "/stopped?progress=4", auth) + rawRequest("DELETE", asset, auth)
                        + rawRequest("GET", asset, auth));
            client.waitForResponses(3);
            QCOMPARE(client.parser.responses.size(), 3);
            QCOMPARE(client.parser.responses.at(0).status, 204);
            QCOMPARE(client.parser.responses.at(1).status, 204);
            QCOMPARE(client.parser.responses.at(2).status, 404);
            QCOMPARE(client.parser.responses.at(2).errorCode(), 1040);
        }
    }

    void refusalWaitsForDeferredAnswer_data()
    {
        QTest::addColumn<QByteArray>("garbage");
        QTest::addColumn<int>("status");
        QTest::newRow("garbage bytes") << QByteArray("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) << 400;
        QTest::newRow("space in the target") << QByteArray("GET /oxm/v1/towatch x y HTTP/1.1\r\nHost: a\r\n\r\n") << 400;
        QTest::newRow("version not HTTP/") << QByteArray("GET /oxm/v1/healthz HTa2/1.1\r\nHost: a\r\n\r\n") << 400;
        QTest::newRow("no version") << QByteArray("PUT /oxm/v1/streams/a1/stopped?progress=2\r\nHost: a\r\n") << 505;
        QTest::newRow("bare LF") << QByteArray("GET /oxm/v1/healthz HTTP/1.1\nHost: a\n\n") << 400;
        QTest::newRow("trailer field")
            << rawRequest("PUT", kPolicy, "Transfer-Encoding: chunked\r\n", "0\r\nX-T: y\r\n\r\n", false) << 400;
        QTest::newRow("header block too large") << rawRequest("GET", kHealth, padHeaders(17, 1000)) << 431;
    }

    void refusalWaitsForDeferredAnswer()
    {
        // A heartbeat with progress is answered after its resume point commits (deferred). The
        // front door's refusal of the malformed request pipelined behind it must come after that
        // answer, not instead of it (tests/fuzz finding 3): 204, then the refusal, then close.
        QFETCH(QByteArray, garbage);
        QFETCH(int, status);
        static int round = 0;
        const QByteArray user = "deferred-" + QByteArray::number(++round);
        const QByteArray auth = "Authorization: Bearer " + m_fixture->token(QStringLiteral("acme"), QString::fromLatin1(user)) + "\r\n";
        RawClient client(m_fixture->port());
        QVERIFY(client.connected());
        client.send(rawRequest("PUT", "/oxm/v1/streams/" + user + "/streaming?progress=1", auth) + garbage);
        client.waitForResponses(2);
        QVERIFY(!client.parser.failed);
        QCOMPARE(client.parser.responses.size(), 2);
        QCOMPARE(client.parser.responses.at(0).status, 204);
        QCOMPARE(client.parser.responses.at(1).status, status);
        QCOMPARE(client.parser.responses.at(1).errorCode(), 1100);
        QCOMPARE(client.parser.responses.at(1).header("connection"), QByteArray("close"));
        QVERIFY(client.waitForClose(ms(3000)) >= 0);
    }

    void refusalToASlowReader_data()
    {
        QTest::addColumn<int>("idleTimeoutMs");
        QTest::addColumn<QString>("reader");
        // Fuzz findings 9 and 10: a refusal behind pipelined answers, to a client that does not
        // read for a while. The answers and the refusal wait in the server's write buffer (the
        // socket buffers are full); the linger (input discarded, then close) must start once
        // they are out, not when the refusal is queued, or its abort throws them away. Expected:
        // all N answers, then the refusal, then the close.
        QTest::newRow("reads after the linger: gets every answer and the refusal") << ms(30000) << "late";
        // Reading steadily, 8 KiB every idle/10 ms, ~400 KiB take ~5 idle timeouts: the idle
        // timeout counts from the last progress, not from the refusal.
        QTest::newRow("reads steadily for longer than the idle timeout: gets everything") << ms(600) << "steady";
        // A client that never reads is closed by the idle timeout (its write side never drains,
        // so there is no half-close and no linger).
        QTest::newRow("never reads: closed at the idle timeout") << ms(600) << "never";
    }

    void refusalToASlowReader()
    {
        QFETCH(int, idleTimeoutMs);
        QFETCH(QString, reader);
        constexpr int LingerMs = 200;
        LocalFrontDoor door(m_fixture->service().requestHandler(), limitsOf(idleTimeoutMs, LingerMs));
        QVERIFY(door.listening());
        const int fd = door.connectClient();
        QVERIFY(fd >= 0);
        const auto closeFd = qScopeGuard([fd] { ::close(fd); });
        door.sendNotReading(fd, pipelinedThenRefused());
        QCOMPARE(door.handled(), kSlowReaderRequests);
        if (reader == QLatin1String("never")) {
            QCOMPARE(door.openConnections(), 1);
            QTRY_COMPARE_WITH_TIMEOUT(door.openConnections(), 0, idleTimeoutMs + ms(3000));
            return;
        }
        if (reader == QLatin1String("late"))
            QTest::qWait(LingerMs + ms(300));

        ResponseParser parser;
        const bool steady = reader == QLatin1String("steady");
        QVERIFY(LocalFrontDoor::readUntilClosed(fd, parser, ms(60000), steady ? 8192 : 65536, steady ? idleTimeoutMs / 10 : 1));
        QVERIFY(!parser.failed);
        QCOMPARE(parser.responses.size(), kSlowReaderRequests + 1);
        for (int i = 0; i < kSlowReaderRequests; ++i)
            QVERIFY2(parser.responses.at(i).status == 200, qPrintable(QString::number(i)));
        QCOMPARE(parser.responses.last().status, 400);
        QCOMPARE(parser.responses.last().errorCode(), 1100);
        QCOMPARE(parser.responses.last().header("connection"), QByteArray("close"));
    }

    void refusalToAClientStillSending_data()
    {
        QTest::addColumn<int>("idleTimeoutMs");
        QTest::newRow("idle timeout 30 s") << ms(30000);
        // Reading takes ~1.8 s, the idle timeout 0.6 s: the linger's bound counts from the
        // client's last acknowledgement, not from the half-close.
        QTest::newRow("reads for longer than the idle timeout after the half-close") << ms(600);
    }

    void refusalToAClientStillSending()
    {
        QFETCH(int, idleTimeoutMs);
        // RFC 9112 §9.6: after the half-close the server keeps reading until the client is quiet
        // and its own TCP stack has had everything acknowledged. A client that reads slowly and
        // keeps sending (here a byte every 80 ms until the refusal arrives) must not be closed
        // while it sends: the kernel would answer its next byte with a reset and discard every
        // answer not yet delivered (seen: 7 of 10). Over loopback TCP; 10 × the OpenAPI document
        // (~36 KiB each), read 4 KiB every 20 ms.
        constexpr int Answers = 10;
        constexpr int LingerMs = 200;
        LocalFrontDoor door(m_fixture->service().requestHandler(), limitsOf(idleTimeoutMs, LingerMs),
                            LocalFrontDoor::Transport::Tcp);
        QVERIFY(door.listening());
        const int fd = door.connectClient();
        QVERIFY(fd >= 0);
        const auto closeFd = qScopeGuard([fd] { ::close(fd); });
        door.sendNotReading(fd, pipelinedThenRefused(Answers, "/oxm/v1/openapi.json"), Answers);
        ResponseParser parser;
        bool reset = false;
        QVERIFY(LocalFrontDoor::readUntilClosed(fd, parser, ms(30000), 4096, 20, 80, &reset));
        QVERIFY(!reset);
        QVERIFY(!parser.failed);
        QCOMPARE(parser.responses.size(), Answers + 1);
        for (int i = 0; i < Answers; ++i)
            QVERIFY2(parser.responses.at(i).status == 200, qPrintable(QString::number(i)));
        QCOMPARE(parser.responses.last().status, 400);
        QCOMPARE(parser.responses.last().header("connection"), QByteArray("close"));
    }

    void clientNotReadingIsClosedAfterItsBacklog()
    {
        // A client that keeps sending requests and never reads: once more than
        // maxPendingOutputBytes (64 KiB here) of answers wait in the server's buffers, the next
        // request is the last one answered and the connection closes (at the idle timeout, as
        // nothing drains). Memory per connection stays bounded: not all 3,000 are handled.
        FrontDoorLimits limits = limitsOf(ms(600), 200);
        limits.maxPendingOutputBytes = 65536;
        LocalFrontDoor door(m_fixture->service().requestHandler(), limits);
        QVERIFY(door.listening());
        const int fd = door.connectClient();
        QVERIFY(fd >= 0);
        const auto closeFd = qScopeGuard([fd] { ::close(fd); });
        QByteArray bytes;
        for (int i = 0; i < kSlowReaderRequests; ++i)
            bytes += rawRequest("GET", kHealth);
        door.sendNotReading(fd, bytes, -1);
        QTRY_COMPARE_WITH_TIMEOUT(door.openConnections(), 0, ms(600) + ms(3000));
        QVERIFY2(door.handled() < kSlowReaderRequests, qPrintable(QString::number(door.handled())));
    }

    void refusedNonReaderIsEvictedAtTheCap()
    {
        // At the connection cap, a refused connection whose client does not read (idle in the
        // table: its answers are written) makes room for a new one at once, not after the idle
        // timeout; the new connection is served.
        LocalFrontDoor door(m_fixture->service().requestHandler(), limitsOf(ms(30000), 200, 1));
        QVERIFY(door.listening());
        const int slow = door.connectClient();
        QVERIFY(slow >= 0);
        const auto closeSlow = qScopeGuard([slow] { ::close(slow); });
        door.sendNotReading(slow, pipelinedThenRefused());
        QCOMPARE(door.handled(), kSlowReaderRequests);
        QCOMPARE(door.openConnections(), 1);

        const int fresh = door.connectClient();
        QVERIFY(fresh >= 0);
        const auto closeFresh = qScopeGuard([fresh] { ::close(fresh); });
        QElapsedTimer timer;
        timer.start();
        const QByteArray request = rawRequest("GET", kHealth, "Connection: close\r\n");
        QCOMPARE(::send(fresh, request.constData(), size_t(request.size()), MSG_NOSIGNAL), ssize_t(request.size()));
        ResponseParser parser;
        QVERIFY(LocalFrontDoor::readUntilClosed(fresh, parser, ms(10000)));
        QCOMPARE(parser.responses.size(), 1);
        QCOMPARE(parser.responses.constFirst().status, 200);
        QTRY_COMPARE_WITH_TIMEOUT(door.openConnections(), 0, ms(3000));
        QVERIFY2(timer.elapsed() < ms(10000), qPrintable(QString::number(timer.elapsed()))); // not the 30 s idle timeout
    }

    void splitAcrossSegments()
    {
        // A request trickling in (well within the header timeout) is served normally.
        RawClient client(m_fixture->port());
        const QByteArray bytes = rawRequest("PUT", kPolicy, {}, "{}") + rawRequest("GET", kHealth);
        for (qsizetype i = 0; i < bytes.size(); i += 7) {
            client.send(bytes.mid(i, 7));
            QTest::qWait(2);
        }
        client.waitForResponses(2);
        QCOMPARE(client.parser.responses.size(), 2);
        QCOMPARE(client.parser.responses.at(0).status, 401);
        QCOMPARE(client.parser.responses.at(1).status, 200);
    }

    void idleConnectionIsClosed()
    {
        RawClient silent(m_fixture->port());
        RawClient afterRequest(m_fixture->port());
        afterRequest.send(rawRequest("GET", kHealth));
        afterRequest.waitForResponses(1);
        QCOMPARE(afterRequest.parser.responses.size(), 1);
        const qint64 silentClosed = silent.waitForClose(ms(3000));
        QVERIFY2(silentClosed >= kIdleTimeoutMs / 2, qPrintable(QString::number(silentClosed)));
        QVERIFY(afterRequest.waitForClose(ms(3000)) >= 0);
    }

    void slowHeadersAreClosed()
    {
        // Slowloris: a byte of header every 100 ms is not idle, but the headers take too long.
        RawClient client(m_fixture->port());
        client.send("GET /oxm/v1/healthz HTTP/1.1\r\n");
        QElapsedTimer timer;
        timer.start();
        while (client.connected() && timer.elapsed() < kHeaderTimeoutMs + ms(2000)) {
            client.send("X");
            client.socket().waitForReadyRead(100);
        }
        QVERIFY(!client.connected());
        QVERIFY2(timer.elapsed() >= kHeaderTimeoutMs - 100 && timer.elapsed() < kHeaderTimeoutMs + ms(2000),
                 qPrintable(QString::number(timer.elapsed())));
    }

    void connectionCapEvictsTheLongestIdle()
    {
        // A server of its own, with timeouts long enough not to interfere on a loaded machine.
        ServiceFixture capped([](ServiceConfig &config) { config.maxConnections = kMaxConnections; });
        std::vector<std::unique_ptr<RawClient>> clients;
        for (int i = 0; i < kMaxConnections; ++i) {
            clients.push_back(std::make_unique<RawClient>(capped.port()));
            QTest::qWait(20); // accepted in this order, at distinct milliseconds
        }
        QTRY_COMPARE_WITH_TIMEOUT(capped.service().openConnections(), kMaxConnections, ms(3000));
        // Five more: each one evicts the connection idle the longest, i.e. the first five.
        for (int i = 0; i < 5; ++i) {
            clients.push_back(std::make_unique<RawClient>(capped.port()));
            QTest::qWait(20);
        }
        for (int i = 0; i < 5; ++i)
            QVERIFY2(clients.at(i)->waitForClose(ms(3000)) >= 0, qPrintable(QString::number(i)));
        for (int i = 5; i < kMaxConnections + 5; ++i)
            QVERIFY2(clients.at(i)->connected(), qPrintable(QString::number(i)));
        // A client that sends its request at once is served (evicting the sixth).
        RawClient health(capped.port());
        health.send(rawRequest("GET", kHealth));
        health.waitForResponses(1, ms(3000));
        QCOMPARE(health.parser.responses.size(), 1);
        QCOMPARE(health.parser.responses.constFirst().status, 200);
        QVERIFY(clients.at(5)->waitForClose(ms(3000)) >= 0);
        QVERIFY(clients.at(6)->connected());
    }

    void capRefusesWhenNoConnectionIsIdle()
    {
        // With a cap of 0 no connection is ever idle to make room: every one gets 503/1503.
        ServiceFixture closed([](ServiceConfig &config) { config.maxConnections = 0; });
        RawClient client(closed.port());
        client.send(rawRequest("GET", kHealth));
        client.waitForResponses(1, ms(3000));
        QCOMPARE(client.parser.responses.size(), 1);
        QCOMPARE(client.parser.responses.constFirst().status, 503);
        QCOMPARE(client.parser.responses.constFirst().errorCode(), 1503);
        QVERIFY(client.waitForClose(ms(3000)) >= 0);
    }

    void slowlorisOf2000Sockets()
    {
        // Issue 4: under a slowloris of 2,000 sockets (each trickling its header block, and
        // reconnecting when closed) against the default cap of 1000, /healthz keeps answering.
        constexpr int kSlow = 2000;
        rlimit files{};
        QVERIFY(::getrlimit(RLIMIT_NOFILE, &files) == 0);
        files.rlim_cur = files.rlim_max;
        QVERIFY2(::setrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur >= 2 * kSlow + 500,
                 "this test needs about 4,500 open files (client and server side in one process)");
        ServiceFixture fixture; // default limits: cap 1000, header timeout 10 s
        QCOMPARE(fixture.service().config().maxConnections, 1000);
        std::vector<std::unique_ptr<QTcpSocket>> slow;
        const auto openSlow = [&fixture] {
            auto socket = std::make_unique<QTcpSocket>();
            socket->connectToHost(QHostAddress::LocalHost, fixture.port());
            socket->waitForConnected(3000);
            socket->write("GET /oxm/v1/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
            socket->flush();
            return socket;
        };
        for (int i = 0; i < kSlow; ++i)
            slow.push_back(openSlow());
        int reconnects = 0;
        int healthy = 0;
        qint64 worstMs = 0;
        QElapsedTimer run;
        run.start();
        constexpr int kRounds = 6; // rounds, not a time window: a loaded machine runs fewer per second
        for (int round = 0; round < kRounds; ++round) {
            for (auto &socket : slow) { // one more byte each; closed ones come back
                if (socket->state() == QAbstractSocket::ConnectedState) {
                    socket->write("x");
                    socket->flush();
                } else {
                    socket = openSlow();
                    ++reconnects;
                }
            }
            QElapsedTimer answer;
            answer.start();
            RawClient health(fixture.port());
            health.send(rawRequest("GET", kHealth));
            health.waitForResponses(1, ms(3000));
            QVERIFY2(health.parser.responses.size() == 1 && health.parser.responses.constFirst().status == 200,
                     qPrintable(QStringLiteral("/healthz not answered 200 after %1 ms of slowloris").arg(run.elapsed())));
            worstMs = std::max(worstMs, answer.elapsed());
            ++healthy;
            QTest::qWait(100);
        }
        qInfo("slowloris: %d sockets, %d reconnects, %d /healthz answered 200, worst %lld ms",
              kSlow, reconnects, healthy, worstMs);
        QCOMPARE(healthy, kRounds);
        QVERIFY(reconnects >= kSlow - 1000); // the slow ones beyond the cap were evicted
        // The cap holds once the evictions still in flight have landed (each is posted to the
        // connection's own worker thread; on a slow build hundreds can be queued at this point).
        QTRY_VERIFY2_WITH_TIMEOUT(fixture.service().openConnections() <= 1000 + 50,
                                  qPrintable(QString::number(fixture.service().openConnections())), ms(5000));
    }

    void idleConnectionsAreClosed()
    {
        // The shared fixture (cap 20, idle timeout 1 s): 20 silent sockets fill the cap;
        // /healthz is served at once (evicting one of them), and the idle timeout closes the
        // rest about 1 s after they connected.
        QTest::qWait(kIdleTimeoutMs + ms(300)); // the server drops the previous tests' sockets
        std::vector<std::unique_ptr<RawClient>> clients;
        for (int i = 0; i < kMaxConnections; ++i)
            clients.push_back(std::make_unique<RawClient>(m_fixture->port()));
        QElapsedTimer timer;
        timer.start();
        RawClient health(m_fixture->port());
        health.send(rawRequest("GET", kHealth));
        health.waitForResponses(1, ms(3000));
        QCOMPARE(health.parser.responses.size(), 1);
        QCOMPARE(health.parser.responses.constFirst().status, 200);
        QVERIFY(timer.elapsed() < kIdleTimeoutMs); // not by waiting for the idle timeout
        int closedByServer = 0;
        for (auto &client : clients)
            closedByServer += client->waitForClose(kIdleTimeoutMs + ms(2000)) >= 0 ? 1 : 0;
        QCOMPARE(closedByServer, kMaxConnections);
    }

    void stillServingAfterAllThat()
    {
        for (int i = 0; i < 3; ++i) {
            RawClient client(m_fixture->port());
            client.send(rawRequest("GET", kHealth) + rawRequest("PUT", kPolicy, {}, "{}"));
            client.waitForResponses(2);
            QCOMPARE(client.parser.responses.size(), 2);
            QCOMPARE(client.parser.responses.at(0).status, 200);
            QCOMPARE(client.parser.responses.at(1).errorCode(), 1000);
        }
    }

private:
    std::unique_ptr<ServiceFixture> m_fixture;
};

QTEST_GUILESS_MAIN(FrontDoorTest)
#include "tst_frontdoor.moc"
