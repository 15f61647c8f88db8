#include "httpserveradapter.h"

#include "http/connectionguard.h"
#include "http/requesthandler.h"

#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QTcpSocket>

namespace oxm {

HttpServerAdapter::HttpServerAdapter(RequestHandler &handler, QObject *parent)
    : QAbstractHttpServer(parent)
    , m_handler(handler)
{
}

namespace {
void writeResponse(QHttpServerResponder &responder, const HttpResponse &response, bool head)
{
    responder.writeStatusLine(static_cast<QHttpServerResponder::StatusCode>(response.status));
    for (const auto &[name, value] : wireHeaders(response))
        responder.writeHeader(name, value);
    responder.writeBody(head ? QByteArray() : response.body);
}

QByteArray methodName(QHttpServerRequest::Method method)
{
    switch (method) {
    case QHttpServerRequest::Method::Get: return QByteArrayLiteral("GET");
    case QHttpServerRequest::Method::Put: return QByteArrayLiteral("PUT");
    case QHttpServerRequest::Method::Delete: return QByteArrayLiteral("DELETE");
    case QHttpServerRequest::Method::Post: return QByteArrayLiteral("POST");
    case QHttpServerRequest::Method::Head: return QByteArrayLiteral("HEAD");
    case QHttpServerRequest::Method::Options: return QByteArrayLiteral("OPTIONS");
    case QHttpServerRequest::Method::Patch: return QByteArrayLiteral("PATCH");
    case QHttpServerRequest::Method::Connect: return QByteArrayLiteral("CONNECT");
    case QHttpServerRequest::Method::Trace: return QByteArrayLiteral("TRACE");
    default: return QByteArrayLiteral("UNKNOWN");
    }
}
} // namespace

bool HttpServerAdapter::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    Exchange exchange;
    exchange.request = HttpRequest{methodName(request.method()),
                                   request.url(),
                                   request.value(QByteArrayLiteral("authorization")),
                                   request.value(QByteArrayLiteral("x-forwarded-for")),
                                   request.body(),
                                   request.remoteAddress()};
    exchange.responder = std::make_shared<QHttpServerResponder>(makeResponder(request, socket));
    exchange.socket = socket;
    exchange.head = request.method() == QHttpServerRequest::Method::Head;

    // Answers on one connection go out in request order (RFC 9112 §9.3.2): while an answer is
    // deferred, later (pipelined) requests on that connection wait behind it, unprocessed.
    const auto waiting = m_waiting.find(socket);
    if (waiting != m_waiting.end())
        waiting->append(std::move(exchange));
    else
        serve(std::move(exchange));
    return true;
}

void HttpServerAdapter::serve(Exchange exchange)
{
    const HttpResponse response = m_handler.handle(exchange.request);
    if (!response.isDeferred()) {
        if (exchange.socket)
            writeResponse(*exchange.responder, response, exchange.head);
        return;
    }
    // Answer later, on this thread. Qt 6.4 crashes when a responder writes to a socket that is
    // gone (qt64-notes.md), so the answer is dropped if the client has disconnected meanwhile.
    QTcpSocket *socket = exchange.socket.data();
    if (!m_waiting.contains(socket))
        m_waiting.insert(socket, {});
    if (!m_watched.contains(socket)) {
        m_watched.insert(socket);
        connect(socket, &QObject::destroyed, this, [this, socket] {
            m_waiting.remove(socket);
            m_watched.remove(socket);
        });
    }
    ++m_pending;
    response.deferred->then(this, [this, exchange](const HttpResponse &ready) {
        --m_pending;
        if (!exchange.socket)
            return;
        if (exchange.socket->state() == QAbstractSocket::ConnectedState)
            writeResponse(*exchange.responder, ready, exchange.head);
        resume(exchange.socket.data());
    });
}

void HttpServerAdapter::resume(QTcpSocket *socket)
{
    auto it = m_waiting.find(socket);
    if (it == m_waiting.end())
        return;
    QList<Exchange> queue = std::move(*it);
    m_waiting.erase(it);
    while (!queue.isEmpty()) {
        serve(queue.takeFirst());
        const auto deferred = m_waiting.find(socket);
        if (deferred != m_waiting.end()) { // that one is deferred: the rest waits behind it
            deferred->append(queue);
            return;
        }
    }
}

void HttpServerAdapter::missingHandler(const QHttpServerRequest &, QTcpSocket *)
{
    // Never reached: handleRequest() answers every request.
}

} // namespace oxm
