#include "httpserveradapter.h"

#include "http/connectionguard.h"
#include "http/requesthandler.h"

#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QPointer>
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
} // namespace

bool HttpServerAdapter::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    const HttpResponse response = m_handler.handle(request);
    const bool head = request.method() == QHttpServerRequest::Method::Head;
    if (!response.isDeferred()) {
        QHttpServerResponder responder = makeResponder(request, socket);
        writeResponse(responder, response, head);
        return true;
    }
    // Answer later, on this thread. Qt 6.4 crashes when a responder writes to a socket that is
    // gone (qt64-notes.md), so the answer is dropped if the client has disconnected meanwhile.
    auto responder = std::make_shared<QHttpServerResponder>(makeResponder(request, socket));
    const QPointer<QTcpSocket> guard(socket);
    ++m_pending;
    response.deferred->then(this, [this, responder, guard, head](const HttpResponse &ready) {
        --m_pending;
        if (guard && guard->state() == QAbstractSocket::ConnectedState)
            writeResponse(*responder, ready, head);
    });
    return true;
}

void HttpServerAdapter::missingHandler(const QHttpServerRequest &, QTcpSocket *)
{
    // Never reached: handleRequest() answers every request.
}

} // namespace oxm
