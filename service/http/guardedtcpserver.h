#pragma once

#include "http/connectionguard.h"

#include <QSslConfiguration>
#include <QTcpServer>
#include <memory>
#include <optional>

namespace oxm {

class ConnectionTable;

/// A QTcpServer whose every connection gets a ConnectionGuard before QHttpServer sees it
/// (issue 4, "strict front door"): incomingConnection() creates the socket, attaches the guard
/// (so the guard's readyRead slot is connected first and runs first) and only then hands the
/// socket on with addPendingConnection().
///
/// Open connections are counted in `table`, shared by every server of one HttpFrontend: at the
/// cap the longest-idle connection is evicted; when none is idle the new connection is answered
/// 503/1503 and closed at once (ConnectionTable).
///
/// With `tls` set, every connection is HTTPS: the TLS handshake starts at once (QSslSocket over
/// OpenSSL) and the guard and QHttpServer only see decrypted bytes, so the same limits hold. A
/// client that does not speak TLS (e.g. a plain-HTTP request) fails the handshake and is closed
/// without an answer.
class GuardedTcpServer final : public QTcpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GuardedTcpServer)

public:
    GuardedTcpServer(const FrontDoorLimits &limits, std::shared_ptr<ConnectionTable> table,
                     std::optional<QSslConfiguration> tls = std::nullopt, QObject *parent = nullptr);

protected:
    void incomingConnection(qintptr socketDescriptor) override;

private:
    FrontDoorLimits m_limits;
    std::shared_ptr<ConnectionTable> m_table;
    std::optional<QSslConfiguration> m_tls;
};

} // namespace oxm
