#pragma once

#include "http/apirequest.h"
#include "http/httpresponse.h"

#include <QJsonObject>
#include <optional>

namespace oxm {

class Clock;

/// Base of the resource controllers (qBittorrent's APIController): helpers that parse and
/// validate path arguments, query parameters and bodies, throwing ApiError InvalidParameter
/// (1104) or NotAnObject (1103) with a message that names the offending input.
class ApiController
{
public:
    explicit ApiController(const Clock &clock) : m_clock(clock) {}
    virtual ~ApiController() = default;

protected:
    /// Path argument `index` as an identifier (contract §3). `what` names it in errors.
    static QString identifierArg(const ApiRequest &request, int index, const char *what);
    /// An asset ID argument: an identifier that is not one of the reserved names "history" and
    /// "counts" (contract §3).
    static QString assetArg(const ApiRequest &request, int index);
    /// An optional query parameter that must be an identifier when present.
    static std::optional<QString> optionalIdentifierParam(const ApiRequest &request, const QString &name);
    /// An optional query parameter that must be an integer in [min, max] when present
    /// (decimal digits only).
    static std::optional<qint64> optionalIntegerParam(const ApiRequest &request, const QString &name,
                                                      qint64 min, qint64 max);
    /// The body as a JSON object, else ApiError NotAnObject (1103).
    static QJsonObject jsonObjectBody(const ApiRequest &request);

    /// `{"requestID": "<uuid>", "timestamp": "<RFC 3339 ns>"}`, the envelope of the watchlist
    /// responses (seed: "Retrieve the watchlist").
    QJsonObject envelope(const ApiRequest &request) const;

    const Clock &m_clock;
};

} // namespace oxm
