#pragma once

#include "http/connectionguard.h"

#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QSslConfiguration>
#include <memory>
#include <optional>

class QThread;

namespace oxm {

class ConnectionTable;
class RequestHandler;
struct ServiceConfig;

/// Serves the API from several threads, each with its own HttpServerAdapter, all accepting from
/// one listening socket (qt64-notes.md): the GUI thread never serves requests, and a request
/// waiting for its commit does not hold up the others. Every connection passes the front door
/// first (GuardedTcpServer, ConnectionGuard): size limits, strict framing, timeouts and a cap on
/// open connections shared by all the threads (ConnectionTable). With a TLS certificate and key
/// in the configuration (`--tls-cert`, `--tls-key`), it serves HTTPS only.
class HttpFrontend final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpFrontend)

public:
    /// With the default front door limits (FrontDoorLimits).
    explicit HttpFrontend(RequestHandler &handler, QObject *parent = nullptr);
    /// With the front door limits and TLS files of `config`. Throws std::runtime_error with a
    /// clear message when the TLS certificate or key cannot be read or parsed.
    HttpFrontend(RequestHandler &handler, const ServiceConfig &config, QObject *parent = nullptr);

    /// The TLS configuration for a PEM certificate (chain) file and a PEM private key file
    /// (RSA or EC, unencrypted). Throws std::runtime_error naming the file and the problem.
    static QSslConfiguration loadTlsConfiguration(const QString &certificateFile, const QString &keyFile);
    ~HttpFrontend() override;

    /// Listens on address:port (port 0 picks a free one) with `threads` server threads.
    /// Returns the port. Throws std::runtime_error with a clear message, e.g. when the port is
    /// already in use.
    quint16 listen(const QHostAddress &address, quint16 port, int threads);
    /// Most time stop() waits for deferred responses to be written.
    static constexpr int DrainTimeoutMs = 5000;

    /// Closes the socket and stops the threads; in-flight requests are answered first (at most
    /// DrainTimeoutMs for those waiting for a commit).
    void stop();

    bool isListening() const { return !m_workers.isEmpty(); }
    quint16 port() const { return m_port; }
    /// Connections open now, over all threads.
    int openConnections() const;
    /// Whether it serves HTTPS.
    bool isTls() const { return m_tls.has_value(); }

private:
    struct Worker
    {
        QThread *thread = nullptr;
        QObject *context = nullptr; // lives in `thread`, parent of its server
    };

    RequestHandler &m_handler;
    FrontDoorLimits m_limits;
    std::optional<QSslConfiguration> m_tls;
    std::shared_ptr<ConnectionTable> m_table;
    QList<Worker> m_workers;
    quint16 m_port = 0;
};

} // namespace oxm
