// libFuzzer target: raw bytes -> the whole request path -> response (issue 4).
//
// Each input is the byte stream of one client connection (one or more pipelined HTTP/1.1
// requests; every "@T<n>@" is first replaced by token n of fuzzsupport.h). It goes through the
// production path without a network: an AF_UNIX stream socket in the abstract namespace,
// accepted by GuardedTcpServer (so ConnectionGuard runs http_parser over it first), then Qt's
// QHttpServer, HttpServerAdapter, RequestHandler (router, TokenVerifier, controllers) and the
// domain over an OxmService on a SQLite database in /dev/shm (fsync is cheap there), all on this
// thread's event loop, with deferred answers (resume point commits) awaited.
//
// The bytes the server sends back are parsed (http_parser, response mode) and checked against the
// contract: every final status is one of the contract's (a 500 or a 503 is a finding: the fuzz
// database never fails); a 204 has no body and no Content-Type; every other response is
// application/json with a JSON body; every error body is an object with an integer errorCode that
// belongs to its status, a string message and a UUID requestID; a 405 has Allow, a 1050-1053 has
// Retry-After; nothing follows the front door's refusal; every request the API handled has its
// answer on the wire; and while the server keeps the connection open, every complete request got
// exactly one answer.
//
// The front door limits are made small (target 1024 bytes, headers 2048 bytes / 20 lines, body
// 2048 bytes) so that inputs of a few KiB reach 413/414/431, and the linger 10 ms.
//
// State (database, active streams) persists between inputs and is rebuilt every
// OXM_FUZZ_RESET_EVERY inputs (default 5000). OXM_FUZZ_TRACE=1 prints every input and answer.

#include "fuzzsupport.h"

#include "core/clock.h"
#include "domain/catalog.h"
#include "domain/policyservice.h"
#include "http/connectionguard.h"
#include "http/connectiontable.h"
#include "http/guardedtcpserver.h"
#include "http/httpserveradapter.h"
#include "http/requesthandler.h"
#include "oxmservice.h"

#include <QAbstractEventDispatcher>
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QThread>
#include <QUuid>
#include <cerrno>
#include <cstdio>
#include <cstddef>
#include <cstring>
#include <http_parser.h>
#include <memory>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace oxm;
using oxm::fuzz::fail;

namespace {

constexpr int MaxBodyBytes = 2048;

FrontDoorLimits fuzzLimits()
{
    FrontDoorLimits limits;
    limits.maxBodyBytes = MaxBodyBytes;
    limits.maxRequestLineBytes = 1024;
    limits.maxHeaderBytes = 2048;
    limits.maxHeaderCount = 20;
    // A short linger (input discarded after a refusal is out, then abort): a timer that ends the
    // connection before everything owed is out then shows without a starved process (findings
    // 9 and 10 needed seconds of starvation to outlast the default 2 s).
    limits.lingerMs = 10;
    // The harness is a client that reads only between event-loop rounds, so a few KiB of
    // pipelined /metrics can leave MiBs of answers unread; the server's close after
    // maxPendingOutputBytes (a client not reading) is not part of its model: out of reach here,
    // tested in tst_frontdoor (clientNotReadingIsClosedAfterItsBacklog).
    limits.maxPendingOutputBytes = qint64(1) << 30;
    return limits;
}

bool pump()
{
    return QAbstractEventDispatcher::instance()->processEvents(QEventLoop::AllEvents);
}

/// One round while an answer is computed on another thread. Polls rather than blocking in
/// WaitForMoreEvents: outside exec(), after QCoreApplication::sendPostedEvents(nullptr,
/// QEvent::DeferredDelete), the UNIX dispatcher can miss the wake-up of an event posted from
/// another thread and block for good (seen here; a harness artefact, not the server's).
void waitForEvents()
{
    if (!pump())
        QThread::usleep(100);
}

// -------------------------------------------------------------------------------------------
// The server side: an OxmService and one front door, on this thread.

class Server
{
public:
    explicit Server(int generation)
        : m_dir(QDir(QStringLiteral("/dev/shm")).exists() ? QStringLiteral("/dev/shm/oxm-fuzz-XXXXXX")
                                                            : QDir::tempPath() + QStringLiteral("/oxm-fuzz-XXXXXX"))
        , m_clock(fuzz::NowNs)
    {
        if (!m_dir.isValid())
            fail("cannot create the temporary database directory");
        ServiceConfig config;
        config.port = 0;
        config.databasePath = m_dir.filePath(QStringLiteral("oxm.sqlite"));
        config.jwtSecret = fuzz::secret();
        config.maxBodyBytes = MaxBodyBytes;
        m_service = std::make_unique<OxmService>(config, &m_clock);
        m_service->open();

        // Known state the seed requests refer to: a tenant with limits, one with a tricky name
        // (tokens T1 and T4 are their admins), a few catalog assets for GET /towatch?full=true.
        m_service->policies().setPolicy(QStringLiteral("acme"), StreamPolicy{3, 2, 2});
        m_service->policies().registerTenant(QString::fromUtf8("\xC3\xBCmlaut/t"));
        m_service->catalog().importAssets(Catalog::parse(R"([
            {"id": "a1", "name": "First", "releaseYear": 2019, "genres": ["drama"]},
            {"id": "a2", "name": "Second", "pictures": {"poster": "p.png"}},
            {"id": "ep/1", "name": "Episode one"},
            {"id": "\u00e9t\u00e9 +x", "name": "Non-ASCII"}
        ])"));

        m_socketName = "oxm-fuzz-" + QByteArray::number(::getpid()) + '-' + QByteArray::number(generation);
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        socklen_t length = 0;
        const sockaddr_un address = socketAddress(&length);
        if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr *>(&address), length) != 0 || ::listen(fd, 64) != 0)
            fail("cannot create the AF_UNIX listening socket", QByteArray(std::strerror(errno)));
        m_adapter = std::make_unique<HttpServerAdapter>(m_service->requestHandler());
        // Every request the API handled (answered now or after its commit; possibly on a pool
        // thread): each of these answers must reach the client.
        QObject::connect(&m_service->requestHandler(), &RequestHandler::requestCompleted, m_adapter.get(),
                         [this](const RequestLogEntry &) { ++m_handled; }, Qt::DirectConnection);
        auto *tcp = new GuardedTcpServer(fuzzLimits(), m_connections);
        if (!tcp->setSocketDescriptor(fd))
            fail("QTcpServer does not take the AF_UNIX listening socket", tcp->errorString().toUtf8());
        m_adapter->bind(tcp);
    }

    ~Server()
    {
        drain();
        m_adapter.reset();
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        m_service.reset();
    }

    sockaddr_un socketAddress(socklen_t *length) const
    {
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path + 1, m_socketName.constData(), size_t(m_socketName.size()));
        *length = socklen_t(offsetof(sockaddr_un, sun_path) + 1 + size_t(m_socketName.size()));
        return address;
    }

    /// Waits for the deferred answers still in flight (commits of a connection the server had
    /// already closed): their continuations use the RequestHandler, so none may outlive it
    /// (production drains the same way in HttpFrontend::stop()).
    void drain()
    {
        QDeadlineTimer deadline(10000);
        while (m_adapter && m_adapter->pendingResponses() > 0) {
            if (deadline.hasExpired())
                fail("a deferred answer (resume point commit) did not complete within 10 s");
            waitForEvents();
        }
    }

    HttpServerAdapter &adapter() { return *m_adapter; }
    OxmService &service() { return *m_service; }
    int openConnections() const { return m_connections->openConnections(); }
    /// Requests the API has handled so far (RequestHandler::requestCompleted).
    int handled() const { return m_handled.load(); }

private:
    QTemporaryDir m_dir;
    ManualClock m_clock;
    std::unique_ptr<OxmService> m_service;
    std::shared_ptr<ConnectionTable> m_connections = std::make_shared<ConnectionTable>(fuzzLimits().maxConnections);
    std::unique_ptr<HttpServerAdapter> m_adapter;
    QByteArray m_socketName;
    std::atomic<int> m_handled{0};
};

// -------------------------------------------------------------------------------------------
// One connection: send the input, pump the event loop until nothing moves, collect the answer.

struct Exchange
{
    QByteArray received;
    bool closedByServer = false;
};

Exchange runConnection(Server &server, const QByteArray &input)
{
    Exchange exchange;
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    socklen_t length = 0;
    const sockaddr_un address = server.socketAddress(&length);
    if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr *>(&address), length) != 0)
        fail("cannot connect to the fuzz server socket", QByteArray(std::strerror(errno)));

    qsizetype sent = 0;
    bool canSend = true;
    int quietRounds = 0;
    char buffer[16384];
    while (true) {
        bool moved = false;
        if (canSend && sent < input.size()) {
            const ssize_t n = ::send(fd, input.constData() + sent, size_t(input.size() - sent), MSG_NOSIGNAL);
            if (n > 0) {
                sent += n;
                moved = true;
            } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                canSend = false; // the server closed or reset: read what it answered
            }
        }
        moved = pump() || moved;
        while (true) {
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n > 0) {
                exchange.received.append(buffer, qsizetype(n));
                moved = true;
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                exchange.closedByServer = true;
            break;
        }
        if (exchange.closedByServer)
            break;
        if (moved) {
            quietRounds = 0;
            continue;
        }
        if (server.adapter().pendingResponses() > 0) { // a commit on the writer thread: wait for it
            waitForEvents();
            continue;
        }
        if (++quietRounds >= 2)
            break;
    }
    ::close(fd);

    // Let the server see the close and delete the socket (and its guard) before the next input.
    for (int round = 0; round < 100 && server.openConnections() > 0; ++round) {
        pump();
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        if (server.openConnections() > 0 && round > 10)
            QThread::usleep(100);
    }
    server.drain();
    return exchange;
}

// -------------------------------------------------------------------------------------------
// What the input asked: the methods of its complete requests, as the front door's parser reads them.

struct RequestStream
{
    QList<int> methods;      ///< http_method of each complete request, in order
    QList<QByteArray> targets; ///< and its request target
    int answerable = 0;      ///< complete requests up to the first that closes the connection
                             ///< (Connection: close, HTTP/1.0), which the server must all answer
    bool malformed = false;  ///< the parser stopped at an error before such a closing request
};

RequestStream readRequests(const QByteArray &input)
{
    struct Context
    {
        RequestStream *stream = nullptr;
        int method = -1;
        QByteArray target;
        bool closing = false;
    };
    RequestStream stream;
    Context context;
    context.stream = &stream;
    http_parser_settings settings;
    http_parser_settings_init(&settings);
    settings.on_message_begin = [](http_parser *p) {
        static_cast<Context *>(p->data)->target.clear();
        return 0;
    };
    settings.on_url = [](http_parser *p, const char *at, size_t length) {
        static_cast<Context *>(p->data)->target.append(at, qsizetype(length));
        return 0;
    };
    settings.on_headers_complete = [](http_parser *p) {
        static_cast<Context *>(p->data)->method = int(p->method);
        return 0;
    };
    settings.on_message_complete = [](http_parser *p) {
        auto *c = static_cast<Context *>(p->data);
        c->stream->methods.append(c->method);
        c->stream->targets.append(c->target);
        if (!c->closing) {
            ++c->stream->answerable;
            c->closing = !http_should_keep_alive(p);
        }
        return 0;
    };
    http_parser parser;
    http_parser_init(&parser, HTTP_REQUEST);
    parser.data = &context;
    http_parser_execute(&parser, &settings, input.constData(), size_t(input.size()));
    stream.malformed = HTTP_PARSER_ERRNO(&parser) != HPE_OK && !context.closing;
    return stream;
}

// -------------------------------------------------------------------------------------------
// The answer, parsed and checked.

struct Response
{
    int status = 0;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    bool bodySkipped = false; ///< the answer to a HEAD

    QByteArray header(const QByteArray &name) const
    {
        for (const auto &[key, value] : headers)
            if (key.compare(name, Qt::CaseInsensitive) == 0)
                return value;
        return {};
    }
    bool hasHeader(const QByteArray &name) const
    {
        for (const auto &[key, value] : headers)
            if (key.compare(name, Qt::CaseInsensitive) == 0)
                return true;
        return false;
    }
};

struct ResponseParse
{
    const QList<int> *methods = nullptr;
    QList<Response> responses;
    Response current;
    QByteArray field;
    bool inValue = false;
    int finalCount = 0;
};

QList<Response> readResponses(const QByteArray &received, const QList<int> &methods, const QByteArray &input)
{
    ResponseParse state;
    state.methods = &methods;
    http_parser_settings settings;
    http_parser_settings_init(&settings);
    settings.on_message_begin = [](http_parser *p) {
        auto *s = static_cast<ResponseParse *>(p->data);
        s->current = Response{};
        s->field.clear();
        s->inValue = false;
        return 0;
    };
    settings.on_header_field = [](http_parser *p, const char *at, size_t length) {
        auto *s = static_cast<ResponseParse *>(p->data);
        if (s->inValue || s->current.headers.isEmpty()) {
            s->current.headers.append(QPair<QByteArray, QByteArray>());
            s->inValue = false;
        }
        s->current.headers.last().first.append(at, qsizetype(length));
        return 0;
    };
    settings.on_header_value = [](http_parser *p, const char *at, size_t length) {
        auto *s = static_cast<ResponseParse *>(p->data);
        s->inValue = true;
        if (!s->current.headers.isEmpty())
            s->current.headers.last().second.append(at, qsizetype(length));
        return 0;
    };
    settings.on_headers_complete = [](http_parser *p) {
        auto *s = static_cast<ResponseParse *>(p->data);
        s->current.status = int(p->status_code);
        if (s->current.status < 200)
            return 0;
        // Answers from the API to a HEAD carry Content-Length but no body; the front door's
        // refusals (Connection: close) always carry their body.
        const bool refusal = s->current.header("Connection").compare("close", Qt::CaseInsensitive) == 0;
        const int index = s->finalCount;
        if (!refusal && index < s->methods->size() && s->methods->at(index) == HTTP_HEAD) {
            s->current.bodySkipped = true;
            return 1;
        }
        return 0;
    };
    settings.on_body = [](http_parser *p, const char *at, size_t length) {
        static_cast<ResponseParse *>(p->data)->current.body.append(at, qsizetype(length));
        return 0;
    };
    settings.on_message_complete = [](http_parser *p) {
        auto *s = static_cast<ResponseParse *>(p->data);
        if (s->current.status >= 200)
            ++s->finalCount;
        s->responses.append(s->current);
        return 0;
    };
    http_parser parser;
    http_parser_init(&parser, HTTP_RESPONSE);
    parser.data = &state;
    const size_t parsed = http_parser_execute(&parser, &settings, received.constData(), size_t(received.size()));
    if (HTTP_PARSER_ERRNO(&parser) != HPE_OK || parsed != size_t(received.size()))
        fail("the server's answer is not well-formed HTTP",
             "error: " + QByteArray(http_errno_name(HTTP_PARSER_ERRNO(&parser))) + " at byte "
                 + QByteArray::number(qulonglong(parsed)) + "\n--- input:\n" + input + "\n--- answer:\n" + received);
    return state.responses;
}

/// The error codes each status may carry (contract §1, §2, §4-§6; docs/api.md).
bool codeFitsStatus(int status, int code)
{
    switch (status) {
    case 400: return code == 1100 || code == 1103 || code == 1104 || code == 1105;
    case 401: return code == 1000 || code == 1001 || code == 1002;
    case 403: return code == 1003 || code == 1004;
    case 404: return code == 1040;
    case 405: return code == 1091;
    case 409: return code >= 1050 && code <= 1053;
    case 413: return code == 1090;
    case 414:
    case 431:
    case 505: return code == 1100;
    default: return false;
    }
}

/// Whether `target` (as sent) names the Prometheus endpoint: GET /metrics or /oxm/v1/metrics
/// (docs/api.md), the one answer that is not JSON. Its path is compared percent-decoded, as Qt
/// routes it.
bool isMetricsTarget(const QByteArray &target)
{
    const qsizetype query = target.indexOf('?');
    const QByteArray path = QByteArray::fromPercentEncoding(query < 0 ? target : target.left(query));
    return path == "/metrics" || path == "/oxm/v1/metrics";
}

/// `target`: the request this is the answer to, when known (empty for the front door's refusals).
void checkResponse(const Response &r, const QByteArray &input, const QByteArray &received,
                   const QByteArray &target = {})
{
    const auto bad = [&](const char *what) {
        fail(what, "status " + QByteArray::number(r.status) + "\n--- input:\n" + input + "\n--- answer:\n" + received);
    };
    static const QSet<int> contractStatuses{100, 200, 204, 400, 401, 403, 404, 405, 409, 413, 414, 431, 505};
    if (!contractStatuses.contains(r.status))
        bad("a status outside the contract (500 and 503 mean an internal fault: the fuzz database never fails)");
    if (r.status == 100)
        return;
    if (r.status == 204) {
        if (!r.body.isEmpty() || r.hasHeader("Content-Type"))
            bad("a 204 with a body or a Content-Type");
        return;
    }
    if (r.status == 200 && isMetricsTarget(target)
        && r.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8") {
        // Prometheus text (found by the fuzzer: GET /metrics is not JSON, and need not be).
        if (!r.bodySkipped && (r.header("Content-Length") != QByteArray::number(r.body.size()) || !r.body.startsWith("# HELP ")))
            bad("a /metrics answer whose Content-Length differs from its body or that is not the exposition format");
        return;
    }
    if (r.header("Content-Type") != "application/json; charset=utf-8")
        bad("a response that is not application/json; charset=utf-8");
    if (r.bodySkipped)
        return;
    if (r.header("Content-Length") != QByteArray::number(r.body.size()))
        bad("Content-Length differs from the body");
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(r.body, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        bad("a body that is not JSON");
    if (r.status < 400)
        return;
    if (!document.isObject())
        bad("an error body that is not a JSON object");
    const QJsonObject body = document.object();
    const QJsonValue code = body.value(QLatin1String("errorCode"));
    if (!code.isDouble() || code.toDouble() != double(code.toInt()))
        bad("an error body without an integer errorCode");
    if (!codeFitsStatus(r.status, code.toInt()))
        bad("an errorCode that does not belong to its status");
    if (!body.value(QLatin1String("message")).isString())
        bad("an error body without a string message");
    const QJsonValue requestId = body.value(QLatin1String("requestID"));
    if (!requestId.isString() || QUuid::fromString(requestId.toString()).isNull())
        bad("an error body without a UUID requestID");
    if (r.status == 405 && !r.hasHeader("Allow"))
        bad("a 405 without Allow");
    if (r.status == 409 && r.header("Retry-After").toInt() < 1)
        bad("a 409 without a Retry-After of at least 1 s");
}

// -------------------------------------------------------------------------------------------

int resetEvery = 5000;
bool trace = false; // OXM_FUZZ_TRACE: print every input and answer
int generation = 0;
int executions = 0;
std::unique_ptr<Server> server;

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz::installMessageHandler();
    qputenv("QT_NO_GLIB", "1"); // the plain UNIX event dispatcher: less work per round
    static int appArgc = 1;
    static char *appArgv[] = {(*argc > 0 ? (*argv)[0] : const_cast<char *>("fuzz_request")), nullptr};
    new QCoreApplication(appArgc, appArgv); // lives until exit
    bool ok = false;
    const int every = qEnvironmentVariableIntValue("OXM_FUZZ_RESET_EVERY", &ok);
    if (ok && every > 0)
        resetEvery = every;
    server = std::make_unique<Server>(generation++);
    trace = qEnvironmentVariableIsSet("OXM_FUZZ_TRACE");
    std::atexit([] { server.reset(); });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (++executions % resetEvery == 0) {
        server.reset();
        server = std::make_unique<Server>(generation++);
    }
    const QByteArray input = fuzz::expandTokens(QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)));
    if (trace)
        std::fprintf(stderr, "=== input:\n%s\n", input.constData());
    const int handledBefore = server->handled();
    const Exchange exchange = runConnection(*server, input);
    const int handled = server->handled() - handledBefore;

    if (trace) {
        std::fprintf(stderr, "=== answer (%lld bytes in, %lld bytes out%s):\n%s\n", static_cast<long long>(input.size()),
                     static_cast<long long>(exchange.received.size()), exchange.closedByServer ? ", closed by the server" : "",
                     exchange.received.constData());
    }
    const RequestStream requests = readRequests(input);
    const QList<Response> responses = readResponses(exchange.received, requests.methods, input);
    int finals = 0;
    int apiAnswers = 0; // final answers of the API; the front door's refusals carry Connection: close
    bool refused = false;
    for (const Response &response : responses) {
        checkResponse(response, input, exchange.received, response.status >= 200 ? requests.targets.value(finals) : QByteArray());
        if (response.status < 200)
            continue;
        if (refused)
            fail("an answer after the front door's refusal (answers must keep request order)",
                 "--- input:\n" + input + "\n--- answer:\n" + exchange.received);
        ++finals;
        if (response.header("Connection").compare("close", Qt::CaseInsensitive) == 0)
            refused = true;
        else
            ++apiAnswers;
    }
    const auto describe = [&](const QByteArray &counts) {
        return counts + (exchange.closedByServer ? " (connection closed by the server)" : "") + "\n--- input:\n"
            + input + "\n--- answer:\n" + exchange.received;
    };
    if (apiAnswers != handled)
        fail("the API handled a request whose answer never reached the client",
             describe(QByteArray::number(handled) + " handled, " + QByteArray::number(apiAnswers) + " answered"));
    if (!refused) {
        if (finals != requests.answerable)
            fail("without a refusal, not every complete request got exactly one answer",
                 describe(QByteArray::number(requests.answerable) + " requests, " + QByteArray::number(finals) + " answers"));
        if (requests.malformed)
            fail("a malformed request got no refusal", describe({}));
    }
    return 0;
}
