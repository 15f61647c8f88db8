#pragma once

#include "domain/types.h"

#include <QStringList>

namespace oxm {

class Clock;
class DurableStore;

/// A subscriber's watchlist: a set of asset IDs, newest first by first addition
/// (seed: "Managing Watchlists"; contract §6).
class Watchlist final
{
    Q_DISABLE_COPY_MOVE(Watchlist)

public:
    /// Most entries one user may have (contract §6).
    static constexpr int MaxEntries = 10000;

    /// The watchlist joined with the catalog (GET /towatch?full=true).
    struct FullView
    {
        QStringList found;            ///< IDs with catalog metadata, watchlist order
        QStringList notFound;         ///< IDs without, watchlist order
        QList<QByteArray> assets;     ///< metadata objects (JSON text) of `found`, same order
    };

    Watchlist(DurableStore &store, const Clock &clock);

    /// Adds `assetId` (an existing entry keeps its position). Throws ApiError InvalidParameter
    /// (1104) when the list already holds MaxEntries entries.
    void add(const QString &tenant, const QString &userId, const QString &assetId);
    /// Throws ApiError NotFound (1040) when the asset is not in the list.
    void remove(const QString &tenant, const QString &userId, const QString &assetId);
    QStringList list(const QString &tenant, const QString &userId);
    FullView fullView(const QString &tenant, const QString &userId);

private:
    DurableStore &m_store;
    const Clock &m_clock;
};

} // namespace oxm
