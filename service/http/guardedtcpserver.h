#pragma once

#include "http/connectionguard.h"

#include <QTcpServer>
#include <atomic>
#include <memory>

namespace oxm {

/// A QTcpServer whose every connection gets a ConnectionGuard before QHttpServer sees it
/// (issue 4, "strict front door"): incomingConnection() creates the socket, attaches the guard
/// (so the guard's readyRead slot is connected first and runs first) and only then hands the
/// socket on with addPendingConnection(). It also caps the open connections: `openConnections`
/// is shared by every server of one HttpFrontend; beyond limits.maxConnections a connection is
/// answered 503/1503 and closed at once, so the ones within the cap keep being served.
class GuardedTcpServer final : public QTcpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GuardedTcpServer)

public:
    GuardedTcpServer(const FrontDoorLimits &limits, std::shared_ptr<std::atomic<int>> openConnections,
                     QObject *parent = nullptr);

protected:
    void incomingConnection(qintptr socketDescriptor) override;

private:
    FrontDoorLimits m_limits;
    std::shared_ptr<std::atomic<int>> m_openConnections;
};

} // namespace oxm
