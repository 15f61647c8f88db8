#include "guardedtcpserver.h"

#include "http/connectiontable.h"
#include "http/errormapper.h"

#include <QLoggingCategory>
#include <QSslSocket>
#include <QUuid>
#include <chrono>
#include <sys/socket.h>
#include <unistd.h>

Q_DECLARE_LOGGING_CATEGORY(lcGuard)

namespace oxm {

GuardedTcpServer::GuardedTcpServer(const FrontDoorLimits &limits, std::shared_ptr<ConnectionTable> table,
                                   std::optional<QSslConfiguration> tls, QObject *parent)
    : QTcpServer(parent)
    , m_limits(limits)
    , m_table(std::move(table))
    , m_tls(std::move(tls))
{
    Q_ASSERT(m_table);
}

void GuardedTcpServer::incomingConnection(qintptr socketDescriptor)
{
    const int fd = int(socketDescriptor);
    auto *socket = new GuardedSocket(this);
    if (!socket->setSocketDescriptor(socketDescriptor)) {
        delete socket;
        ::close(fd);
        return;
    }
    auto *guard = new ConnectionGuard(socket, m_limits);
    const qint64 nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now().time_since_epoch()).count();
    // The table calls this with its lock held, possibly from another server thread: it only
    // posts to the guard's thread (a posted call is dropped if the guard is gone by then).
    const quint64 id = m_table->admit(nowMs, [guard] {
        QMetaObject::invokeMethod(guard, &ConnectionGuard::evict, Qt::QueuedConnection);
    });
    if (id == 0) {
        // Every connection is busy: a best-effort 503 (the socket buffer of a fresh connection
        // takes it whole; not over TLS, where no handshake has happened), then close.
        qCDebug(lcGuard) << "connection cap reached and no connection idle:" << m_limits.maxConnections;
        if (!m_tls) {
            const HttpResponse response = ErrorMapper::toResponse(
                ApiError(ErrorCode::Unavailable, QStringLiteral("Too many open connections; retry later")),
                QUuid::createUuid().toString(QUuid::WithoutBraces));
            const QByteArray refusal =
                serializeResponse(response, {{QByteArrayLiteral("Connection"), QByteArrayLiteral("close")}});
            [[maybe_unused]] const ssize_t sent =
                ::send(fd, refusal.constData(), size_t(refusal.size()), MSG_DONTWAIT | MSG_NOSIGNAL);
            ::shutdown(fd, SHUT_WR);
        }
        delete socket; // and its guard; closes the descriptor
        return;
    }
    guard->setTableEntry(m_table, id);
    if (m_tls) {
        socket->setSslConfiguration(*m_tls);
        // A failed handshake (plain HTTP, wrong protocol) ends the connection; nothing is served.
        connect(socket, &QSslSocket::sslErrors, socket, [socket](const QList<QSslError> &) { socket->abort(); });
        connect(socket, &QAbstractSocket::errorOccurred, socket, [socket](QAbstractSocket::SocketError error) {
            if (error == QAbstractSocket::SslHandshakeFailedError || error == QAbstractSocket::SslInternalError
                || error == QAbstractSocket::SslInvalidUserDataError)
                socket->abort();
        });
        socket->startServerEncryption();
    }
    addPendingConnection(socket);
}

} // namespace oxm
