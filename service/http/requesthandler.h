#pragma once

#include "http/controllers/streampolicycontroller.h"
#include "http/controllers/streamscontroller.h"
#include "http/controllers/watchlistcontroller.h"
#include "http/httprequest.h"
#include "http/router.h"

#include <QElapsedTimer>
#include <QObject>

namespace oxm {

class TokenVerifier;
struct ServiceConfig;

/// One line of the request log (admin app's Server screen, access log).
struct RequestLogEntry
{
    qint64 timeNs = 0;     ///< when the request arrived, ns since the epoch
    QByteArray method;
    QString path;          ///< as received, percent-encoded, without the query
    int status = 0;
    double latencyMs = 0;  ///< from arrival to the response being ready
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

    /// Decodes a query string (application/x-www-form-urlencoded: '+' is a space). Throws
    /// ApiError InvalidParameter (1104) on a repeated name or invalid UTF-8.
    static QHash<QString, QString> parseQuery(const QByteArray &encodedQuery);

Q_SIGNALS:
    void requestCompleted(const oxm::RequestLogEntry &entry);

private:
    void logCompleted(RequestLogEntry &entry, const QElapsedTimer &timer);
    HttpResponse dispatch(const HttpRequest &request, ApiRequest &apiRequest);

    const Clock &m_clock;
    const TokenVerifier &m_verifier;
    qint64 m_maxBodyBytes;
    Router m_router;
    StreamPolicyController m_streamPolicy;
    StreamsController m_streams;
    WatchlistController m_watchlist;
};

} // namespace oxm

Q_DECLARE_METATYPE(oxm::RequestLogEntry)
