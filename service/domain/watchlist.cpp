#include "watchlist.h"

#include "core/clock.h"
#include "domain/apierror.h"
#include "storage/durablestore.h"

namespace oxm {

Watchlist::Watchlist(DurableStore &store, const Clock &clock)
    : m_store(store)
    , m_clock(clock)
{
}

void Watchlist::add(const QString &tenant, const QString &userId, const QString &assetId)
{
    if (m_store.addToWatchlist(tenant, userId, assetId, m_clock.nowNs(), MaxEntries) == DurableStore::WatchlistAdd::Full)
        throw ApiError(ErrorCode::InvalidParameter,
                       QStringLiteral("The watchlist is full (%1 entries)").arg(MaxEntries));
}

void Watchlist::remove(const QString &tenant, const QString &userId, const QString &assetId)
{
    if (!m_store.removeFromWatchlist(tenant, userId, assetId))
        throw ApiError(ErrorCode::NotFound, QStringLiteral("This asset is not in the watchlist"));
}

QStringList Watchlist::list(const QString &tenant, const QString &userId)
{
    return m_store.watchlist(tenant, userId);
}

Watchlist::FullView Watchlist::fullView(const QString &tenant, const QString &userId)
{
    const QStringList ids = m_store.watchlist(tenant, userId);
    const QHash<QString, QByteArray> metadata = m_store.catalogAssets(ids);
    FullView view;
    for (const QString &id : ids) {
        const auto it = metadata.constFind(id);
        if (it == metadata.constEnd()) {
            view.notFound.append(id);
        } else {
            view.found.append(id);
            view.assets.append(*it);
        }
    }
    return view;
}

} // namespace oxm
