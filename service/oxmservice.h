#pragma once

#include "core/serviceconfig.h"

#include <QObject>
#include <memory>

class QTimer;

namespace oxm {

class Catalog;
class Clock;
class DurableStore;
class HttpFrontend;
class Metrics;
class PolicyService;
class RequestHandler;
class ResumePoints;
class StreamRegistry;
class TokenIssuer;
class TokenVerifier;
class Watchlist;

/// The whole OXM service as one object: storage, domain and the HTTP API (contract §1–§8).
/// Hosted by `oxm-server` (headless) and `oxm-admin` (the desktop app), which read the domain
/// objects' signals and snapshots but never the database directly.
///
/// Lifecycle: construct → open() (database) → startListening() → … → stopListening() → close().
/// The domain objects (policies(), streams(), …) are usable after open(). Errors are thrown as
/// std::runtime_error with a message meant for the user (port taken, database unusable).
class OxmService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OxmService)

public:
    /// `clock` defaults to the system clock; tests pass a ManualClock.
    explicit OxmService(ServiceConfig config, const Clock *clock = nullptr, QObject *parent = nullptr);
    ~OxmService() override;

    const ServiceConfig &config() const { return m_config; }

    /// Opens (creating and migrating) the database. Throws std::runtime_error.
    void open();
    /// Serves the API on config().listenAddress:port. Returns the port. Throws std::runtime_error.
    quint16 startListening();
    /// Stops serving; in-flight requests are answered first. The database stays open.
    void stopListening();
    /// Stops serving and closes the database.
    void close();

    bool isOpen() const { return m_store != nullptr; }
    bool isListening() const;
    /// The port being served, 0 when not listening.
    quint16 port() const;
    /// Connections open now (front door; docs/api.md "Front door limits"), 0 when not listening.
    int openConnections() const;
    /// Whether the port serves HTTPS (--tls-cert / --tls-key).
    bool isTls() const { return !m_config.tlsCertificateFile.isEmpty(); }

    const Clock &clock() const { return *m_clock; }
    DurableStore &store();
    PolicyService &policies();
    StreamRegistry &streams();
    ResumePoints &resumePoints();
    Watchlist &watchlist();
    Catalog &catalog();
    const TokenIssuer &tokenIssuer() const;
    /// Emits requestCompleted(RequestLogEntry) for every request served.
    RequestHandler &requestHandler();

Q_SIGNALS:
    void listeningChanged(bool listening, quint16 port);

private:
    ServiceConfig m_config;
    std::unique_ptr<Clock> m_ownedClock;
    const Clock *m_clock;
    std::unique_ptr<DurableStore> m_store;
    std::unique_ptr<TokenVerifier> m_verifier;
    std::unique_ptr<TokenIssuer> m_issuer;
    std::unique_ptr<PolicyService> m_policies;
    std::unique_ptr<StreamRegistry> m_streams;
    std::unique_ptr<ResumePoints> m_resumePoints;
    std::unique_ptr<Watchlist> m_watchlist;
    std::unique_ptr<Catalog> m_catalog;
    std::unique_ptr<RequestHandler> m_handler;
    std::unique_ptr<HttpFrontend> m_frontend;
    std::unique_ptr<Metrics> m_metrics;
    QTimer *m_expiryTimer = nullptr;
};

} // namespace oxm
