#include "httpserveradapter.h"

#include "http/requesthandler.h"

#include <QHttpServerRequest>
#include <QHttpServerResponder>

namespace oxm {

HttpServerAdapter::HttpServerAdapter(RequestHandler &handler, QObject *parent)
    : QAbstractHttpServer(parent)
    , m_handler(handler)
{
}

bool HttpServerAdapter::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    const HttpResponse response = m_handler.handle(request);
    QHttpServerResponder responder = makeResponder(request, socket);
    responder.writeStatusLine(static_cast<QHttpServerResponder::StatusCode>(response.status));
    for (const auto &[name, value] : response.headers)
        responder.writeHeader(name, value);
    if (response.status != 204)
        responder.writeHeader(QByteArrayLiteral("Content-Length"), QByteArray::number(response.body.size()));
    if (request.method() == QHttpServerRequest::Method::Head)
        responder.writeBody(QByteArray());
    else
        responder.writeBody(response.body);
    return true;
}

void HttpServerAdapter::missingHandler(const QHttpServerRequest &, QTcpSocket *)
{
    // Never reached: handleRequest() answers every request.
}

} // namespace oxm
