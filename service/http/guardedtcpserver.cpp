#include "guardedtcpserver.h"

#include "http/errormapper.h"

#include <QLoggingCategory>
#include <QTcpSocket>
#include <QUuid>
#include <sys/socket.h>
#include <unistd.h>

Q_DECLARE_LOGGING_CATEGORY(lcGuard)

namespace oxm {

GuardedTcpServer::GuardedTcpServer(const FrontDoorLimits &limits, std::shared_ptr<std::atomic<int>> openConnections,
                                   QObject *parent)
    : QTcpServer(parent)
    , m_limits(limits)
    , m_openConnections(openConnections ? std::move(openConnections) : std::make_shared<std::atomic<int>>(0))
{
}

void GuardedTcpServer::incomingConnection(qintptr socketDescriptor)
{
    const int fd = int(socketDescriptor);
    if (m_openConnections->fetch_add(1) >= m_limits.maxConnections) {
        m_openConnections->fetch_sub(1);
        // Over the cap: a best-effort 503 (the socket buffer of a fresh connection takes it
        // whole), then close. Nothing is read, so a client that already sent may see a reset.
        const HttpResponse response = ErrorMapper::toResponse(
            ApiError(ErrorCode::Unavailable, QStringLiteral("Too many open connections; retry later")),
            QUuid::createUuid().toString(QUuid::WithoutBraces));
        const QByteArray refusal =
            serializeResponse(response, {{QByteArrayLiteral("Connection"), QByteArrayLiteral("close")}});
        qCDebug(lcGuard) << "connection cap reached:" << m_limits.maxConnections;
        [[maybe_unused]] const ssize_t sent = ::send(fd, refusal.constData(), size_t(refusal.size()), MSG_DONTWAIT | MSG_NOSIGNAL);
        ::shutdown(fd, SHUT_WR);
        ::close(fd);
        return;
    }
    auto *socket = new GuardedSocket(this);
    if (!socket->setSocketDescriptor(socketDescriptor)) {
        m_openConnections->fetch_sub(1);
        delete socket;
        ::close(fd);
        return;
    }
    new ConnectionGuard(socket, m_limits, m_openConnections); // counts down when the socket goes
    addPendingConnection(socket);
}

} // namespace oxm
