#pragma once

#include "http/httprequest.h"

#include <QAbstractHttpServer>
#include <QHash>
#include <QPointer>
#include <QSet>
#include <memory>

class QHttpServerResponder;

namespace oxm {

class RequestHandler;

/// The one class that touches Qt 6.4's QHttpServer API (it changed in later Qt versions;
/// style.md, "A thin adapter over QHttpServer"). It takes every parsed request before Qt's own
/// router, hands it to RequestHandler and writes the response itself, so that 204 carries no
/// Content-Type and HEAD carries no body (qt64-notes.md, "defects").
class HttpServerAdapter final : public QAbstractHttpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpServerAdapter)

public:
    explicit HttpServerAdapter(RequestHandler &handler, QObject *parent = nullptr);

    /// Deferred responses not yet written (e.g. waiting for their commit).
    int pendingResponses() const { return m_pending; }

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    /// One request and where its answer goes.
    struct Exchange
    {
        HttpRequest request;
        std::shared_ptr<QHttpServerResponder> responder;
        QPointer<QTcpSocket> socket;
        bool head = false;
    };

    void serve(Exchange exchange);
    /// After a deferred answer on `socket` was written: serve the requests queued behind it.
    void resume(QTcpSocket *socket);

    RequestHandler &m_handler;
    /// Connections with a deferred answer in flight, and the requests waiting behind it.
    QHash<QTcpSocket *, QList<Exchange>> m_waiting;
    QSet<QTcpSocket *> m_watched; ///< sockets whose destruction clears their m_waiting entry
    int m_pending = 0; // only touched on this object's thread
};

} // namespace oxm
