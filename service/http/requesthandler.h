#pragma once

#include "core/serviceconfig.h"
#include "http/controllers/openapicontroller.h"
#include "http/controllers/streampolicycontroller.h"
#include "http/controllers/streamscontroller.h"
#include "http/controllers/watchlistcontroller.h"
#include "http/httprequest.h"
#include "http/router.h"

#include <QElapsedTimer>
#include <QObject>
#include <functional>

namespace oxm {

class TokenVerifier;
struct ServiceConfig;

/// One line of the request log (admin app's Server screen, access log).
struct RequestLogEntry
{
    qint64 timeNs = 0;     ///< when the request arrived, ns since the epoch
    QByteArray method;
    QString path;          ///< as received, percent-encoded, without the query
    QString route;         ///< the route pattern that served it, e.g. "/oxm/v1/streams/{id}"; empty: no route matched
    int status = 0;
    double latencyMs = 0;  ///< from arrival to the response being ready
    QString peer;          ///< the client's address (the TCP peer)
    QString requestId;     ///< the requestID of the answer
};

/// Turns a parsed HTTP request into a response: routing (Router), authentication
/// (TokenVerifier), query parsing, the controller action, and error mapping (ErrorMapper) all
/// happen here, once, for every route. Thread-safe: called from every HTTP thread at once.
class RequestHandler final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RequestHandler)

public:
    struct Services
    {
        const Clock &clock;
        const TokenVerifier &verifier;
        PolicyService &policies;
        StreamRegistry &registry;
        ResumePoints &resumePoints;
        Watchlist &watchlist;
    };

    RequestHandler(const ServiceConfig &config, Services services, QObject *parent = nullptr);

    HttpResponse handle(const HttpRequest &request);

    /// What `GET /metrics` (also `/oxm/v1/metrics`; no token) answers, in the Prometheus text
    /// format (Metrics::exposition). Set once before serving; without it /metrics is 404/1040.
    void setMetricsSource(std::function<QByteArray()> source) { m_metricsSource = std::move(source); }

    /// Decodes a query string (application/x-www-form-urlencoded: '+' is a space). Throws
    /// ApiError InvalidParameter (1104) on a repeated name or invalid UTF-8.
    static QHash<QString, QString> parseQuery(const QByteArray &encodedQuery);

    /// Every route as (method, full path), see Router::paths() (e.g. checked against the
    /// OpenAPI document).
    QList<QPair<QByteArray, QByteArray>> routes() const { return m_router.paths(); }

Q_SIGNALS:
    void requestCompleted(const oxm::RequestLogEntry &entry);

private:
    void logCompleted(RequestLogEntry &entry, const QElapsedTimer &timer);
    HttpResponse dispatch(const HttpRequest &request, ApiRequest &apiRequest);

    const Clock &m_clock;
    const TokenVerifier &m_verifier;
    qint64 m_maxBodyBytes;
    ServiceConfig::AccessLog m_accessLog;
    Router m_router;
    StreamPolicyController m_streamPolicy;
    StreamsController m_streams;
    WatchlistController m_watchlist;
    OpenApiController m_openApi;
    std::function<QByteArray()> m_metricsSource;
};

} // namespace oxm

Q_DECLARE_METATYPE(oxm::RequestLogEntry)
