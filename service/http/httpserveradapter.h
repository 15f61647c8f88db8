#pragma once

#include <QAbstractHttpServer>

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
    RequestHandler &m_handler;
    int m_pending = 0; // only touched on this object's thread
};

} // namespace oxm
