#include "watchlistcontroller.h"

#include "domain/apierror.h"
#include "domain/watchlist.h"

#include <QJsonArray>

namespace oxm {

WatchlistController::WatchlistController(Watchlist &watchlist, const Clock &clock)
    : ApiController(clock)
    , m_watchlist(watchlist)
{
}

HttpResponse WatchlistController::addAction(ApiRequest &request)
{
    const QString asset = assetArg(request, 0);
    m_watchlist.add(request.principal.tenant, request.principal.userId, asset);
    return HttpResponse::json(QJsonDocument(envelope(request)));
}

HttpResponse WatchlistController::removeAction(ApiRequest &request)
{
    const QString asset = assetArg(request, 0);
    m_watchlist.remove(request.principal.tenant, request.principal.userId, asset);
    return HttpResponse::json(QJsonDocument(envelope(request)));
}

HttpResponse WatchlistController::listAction(ApiRequest &request)
{
    bool full = false;
    const auto it = request.query.constFind(QStringLiteral("full"));
    if (it != request.query.constEnd()) {
        if (*it != QLatin1String("true") && *it != QLatin1String("false"))
            throw ApiError(ErrorCode::InvalidParameter, QStringLiteral("full accepts only true or false"));
        full = *it == QLatin1String("true");
    }
    QJsonObject body = envelope(request);
    if (!full) {
        const QStringList ids = m_watchlist.list(request.principal.tenant, request.principal.userId);
        body.insert(QStringLiteral("assetIDs"), QJsonArray::fromStringList(ids));
        body.insert(QStringLiteral("count"), QJsonObject{{QStringLiteral("returned"), ids.size()}});
        return HttpResponse::json(QJsonDocument(body));
    }

    const Watchlist::FullView view = m_watchlist.fullView(request.principal.tenant, request.principal.userId);
    body.insert(QStringLiteral("assetIDs"), QJsonArray::fromStringList(view.found));
    body.insert(QStringLiteral("assetIDsNotFound"), QJsonArray::fromStringList(view.notFound));
    body.insert(QStringLiteral("count"), QJsonObject{{QStringLiteral("acquired"), view.found.size()},
                                                     {QStringLiteral("notFound"), view.notFound.size()},
                                                     {QStringLiteral("returned"), view.assets.size()},
                                                     {QStringLiteral("unwanted"), 0}});
    // The catalog's metadata objects are returned as stored (contract §6), spliced in as text.
    QByteArray json = QJsonDocument(body).toJson(QJsonDocument::Compact);
    json.chop(1); // the closing '}'
    json += ",\"assets\":[";
    for (qsizetype i = 0; i < view.assets.size(); ++i) {
        if (i)
            json += ',';
        json += view.assets[i];
    }
    json += "]}";
    return HttpResponse::rawJson(json);
}

} // namespace oxm
