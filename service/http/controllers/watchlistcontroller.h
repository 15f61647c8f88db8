#pragma once

#include "http/controllers/apicontroller.h"

namespace oxm {

class Watchlist;

/// /towatch (seed: "Managing Watchlists"; contract §6).
class WatchlistController final : public ApiController
{
public:
    WatchlistController(Watchlist &watchlist, const Clock &clock);

    /// PUT /towatch/{assetID} → 200 {"requestID","timestamp"}; 400/1104 when full.
    HttpResponse addAction(ApiRequest &request);
    /// DELETE /towatch/{assetID} → 200 {"requestID","timestamp"}; 404/1040 when absent.
    HttpResponse removeAction(ApiRequest &request);
    /// GET /towatch[?full=true|false] → 200, see contract §6 for both shapes.
    HttpResponse listAction(ApiRequest &request);

private:
    Watchlist &m_watchlist;
};

} // namespace oxm
