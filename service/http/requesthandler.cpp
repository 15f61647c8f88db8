#include "requesthandler.h"

#include "auth/tokenverifier.h"
#include "core/clock.h"
#include "core/serviceconfig.h"
#include "core/timeformat.h"
#include "domain/apierror.h"
#include "http/errormapper.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QStringDecoder>
#include <QUuid>

Q_LOGGING_CATEGORY(lcAccess, "oxm.http.access", QtInfoMsg)
Q_LOGGING_CATEGORY(lcAccessLog, "oxm.access", QtInfoMsg) // --access-log lines

namespace oxm {

namespace {
std::optional<QString> decodeUtf8(const QByteArray &bytes)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless | QStringDecoder::Flag::ConvertInitialBom);
    QString text = decoder.decode(bytes);
    if (decoder.hasError())
        return std::nullopt;
    return text;
}
} // namespace

RequestHandler::RequestHandler(const ServiceConfig &config, Services services, QObject *parent)
    : QObject(parent)
    , m_clock(services.clock)
    , m_verifier(services.verifier)
    , m_maxBodyBytes(config.maxBodyBytes)
    , m_accessLog(config.accessLog)
    , m_router(QByteArrayLiteral("/oxm/v1"))
    , m_streamPolicy(services.policies, services.clock)
    , m_streams(services.registry, services.policies, services.resumePoints, services.clock, config.trustedProxies)
    , m_watchlist(services.watchlist, services.clock)
{
    qRegisterMetaType<oxm::RequestLogEntry>();
    using R = ApiRequest;
    auto &r = m_router;
    r.addRoute("GET", "healthz", [](R &) {
        return HttpResponse::json(QJsonDocument(QJsonObject{{QStringLiteral("status"), QStringLiteral("ok")}}));
    }, false);
    r.addRoute("GET", "openapi.json", [this](R &) { return m_openApi.documentAction(); }, false);
    r.addRoute("GET", "metrics", [this](R &) {
        if (!m_metricsSource)
            throw ApiError(ErrorCode::NotFound, QStringLiteral("No metrics here"));
        return HttpResponse{200, m_metricsSource(),
                            {{QByteArrayLiteral("Content-Type"), QByteArrayLiteral("text/plain; version=0.0.4; charset=utf-8")}},
                            {}};
    }, false);
    r.addRoute("GET", "streampolicy/<arg>", [this](R &q) { return m_streamPolicy.getAction(q); });
    r.addRoute("PUT", "streampolicy/<arg>", [this](R &q) { return m_streamPolicy.putAction(q); });
    r.addRoute("PUT", "streams/<arg>/streaming", [this](R &q) { return m_streams.streamingAction(q); });
    r.addRoute("PUT", "streams/<arg>/stopped", [this](R &q) { return m_streams.stoppedAction(q); });
    r.addRoute("GET", "streams/history", [this](R &q) { return m_streams.historyAction(q); });
    r.addRoute("GET", "streams/counts", [this](R &q) { return m_streams.countsAction(q); });
    for (const char *reserved : {"streams/history", "streams/counts"}) {
        r.addRefusingRoute("PUT", reserved, [this](R &q) { return m_streams.reservedAction(q); });
        r.addRefusingRoute("DELETE", reserved, [this](R &q) { return m_streams.reservedAction(q); });
    }
    r.addRoute("GET", "streams/<arg>", [this](R &q) { return m_streams.resumePointAction(q); });
    r.addRoute("DELETE", "streams/<arg>", [this](R &q) { return m_streams.deleteResumePointAction(q); });
    r.addRoute("GET", "towatch", [this](R &q) { return m_watchlist.listAction(q); });
    r.addRoute("PUT", "towatch/<arg>", [this](R &q) { return m_watchlist.addAction(q); });
    r.addRoute("DELETE", "towatch/<arg>", [this](R &q) { return m_watchlist.removeAction(q); });
}

QHash<QString, QString> RequestHandler::parseQuery(const QByteArray &encodedQuery)
{
    QHash<QString, QString> query;
    for (const QByteArray &pair : encodedQuery.split('&')) {
        if (pair.isEmpty())
            continue;
        const qsizetype eq = pair.indexOf('=');
        QByteArray name = eq < 0 ? pair : pair.left(eq);
        QByteArray value = eq < 0 ? QByteArray() : pair.mid(eq + 1);
        name.replace('+', ' ');
        value.replace('+', ' ');
        const std::optional<QString> decodedName = decodeUtf8(QByteArray::fromPercentEncoding(name));
        const std::optional<QString> decodedValue = decodeUtf8(QByteArray::fromPercentEncoding(value));
        if (!decodedName || !decodedValue)
            throw ApiError(ErrorCode::InvalidParameter, QStringLiteral("The query string is not valid UTF-8"));
        if (query.contains(*decodedName))
            throw ApiError(ErrorCode::InvalidParameter,
                           QStringLiteral("Query parameter %1 is given more than once").arg(*decodedName));
        query.insert(*decodedName, *decodedValue);
    }
    return query;
}

HttpResponse RequestHandler::dispatch(const HttpRequest &request, ApiRequest &apiRequest)
{
    const QUrl &url = request.url;
    const QByteArray encodedPath = url.path(QUrl::FullyEncoded).toUtf8();
    apiRequest.path = QString::fromUtf8(encodedPath);
    if (request.body.size() > m_maxBodyBytes)
        throw ApiError(ErrorCode::BodyTooLarge,
                       QStringLiteral("The request body is larger than %1 bytes").arg(m_maxBodyBytes));

    // HEAD is GET without the body (HttpServerAdapter drops it).
    const QByteArray routeMethod = apiRequest.method == "HEAD" ? QByteArrayLiteral("GET") : apiRequest.method;
    const Router::Match match = m_router.match(routeMethod, encodedPath);
    apiRequest.route = m_router.patternOf(*match.route);
    if (match.route->authenticated)
        apiRequest.principal = m_verifier.verify(request.authorization);
    apiRequest.args = match.args;
    apiRequest.query = parseQuery(url.query(QUrl::FullyEncoded).toUtf8());
    apiRequest.body = request.body;
    apiRequest.peer = request.peer;
    apiRequest.forwardedFor = request.forwardedFor;
    return match.route->handler(apiRequest);
}

HttpResponse RequestHandler::handle(const HttpRequest &request)
{
    QElapsedTimer timer;
    timer.start();
    ApiRequest apiRequest;
    apiRequest.receivedNs = m_clock.nowNs();
    apiRequest.method = request.method;
    apiRequest.requestId = QUuid::createUuid().toString(QUuid::WithoutBraces);

    HttpResponse response;
    try {
        response = dispatch(request, apiRequest);
    } catch (const ApiError &error) {
        response = ErrorMapper::toResponse(error, apiRequest.requestId);
    } catch (const StorageError &error) {
        response = ErrorMapper::toResponse(error, apiRequest.requestId);
    } catch (const std::exception &error) {
        qCWarning(lcAccess).noquote() << "request" << apiRequest.requestId << "failed:" << error.what();
        response = ErrorMapper::internalError(apiRequest.requestId);
    }

    RequestLogEntry entry{apiRequest.receivedNs, apiRequest.method, apiRequest.path, apiRequest.route, response.status, 0,
                          request.peer.toString(), apiRequest.requestId};
    if (!response.isDeferred()) {
        logCompleted(entry, timer);
        return response;
    }
    const QString requestId = apiRequest.requestId;
    QFuture<HttpResponse> mapped =
        response.deferred
            ->onFailed([requestId](const ApiError &error) { return ErrorMapper::toResponse(error, requestId); })
            .onFailed([requestId](const StorageError &error) { return ErrorMapper::toResponse(error, requestId); })
            .onFailed([requestId] { return ErrorMapper::internalError(requestId); })
            .then(QtFuture::Launch::Sync, [this, entry, timer](HttpResponse ready) mutable {
                entry.status = ready.status;
                logCompleted(entry, timer);
                return ready;
            });
    return HttpResponse::later(std::move(mapped));
}

void RequestHandler::logCompleted(RequestLogEntry &entry, const QElapsedTimer &timer)
{
    entry.latencyMs = timer.nsecsElapsed() / 1e6;
    qCDebug(lcAccess).noquote() << entry.method << entry.path << entry.status << entry.latencyMs << "ms";
    // The access log: path without the query (tokens never travel there, but keep it short),
    // never headers (docs/api.md, "Security review").
    if (m_accessLog == ServiceConfig::AccessLog::Text) {
        qCInfo(lcAccessLog).noquote() << entry.peer << '"' + QString::fromLatin1(entry.method) + ' ' + entry.path + '"'
                                      << entry.status << QString::number(entry.latencyMs, 'f', 3) + QStringLiteral("ms")
                                      << entry.requestId;
    } else if (m_accessLog == ServiceConfig::AccessLog::Json) {
        const QJsonObject line{{QStringLiteral("time"), rfc3339Nanos(entry.timeNs)},
                               {QStringLiteral("peer"), entry.peer},
                               {QStringLiteral("method"), QString::fromLatin1(entry.method)},
                               {QStringLiteral("path"), entry.path},
                               {QStringLiteral("route"), entry.route},
                               {QStringLiteral("status"), entry.status},
                               {QStringLiteral("latencyMs"), entry.latencyMs},
                               {QStringLiteral("requestID"), entry.requestId}};
        qCInfo(lcAccessLog).noquote() << QString::fromUtf8(QJsonDocument(line).toJson(QJsonDocument::Compact));
    }
    Q_EMIT requestCompleted(entry);
}

} // namespace oxm
