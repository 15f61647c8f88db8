#pragma once

#include "http/apirequest.h"
#include "http/httpresponse.h"

#include <QByteArrayList>
#include <functional>

namespace oxm {

/// Routes a request by its raw (still percent-encoded) path, so that "%2F" inside an ID stays
/// part of the ID (contract §3), and answers what Qt 6.4's own router cannot: 404/1040 for an
/// unknown path and 405/1091 (with `Allow`) for a known path with another method.
///
/// A pattern is a path below the API root such as "streams/<arg>/streaming"; each "<arg>"
/// matches one whole segment, handed to the handler percent-decoded in ApiRequest::args. When
/// several patterns match, the one with the most literal segments wins ("streams/history"
/// before "streams/<arg>").
class Router
{
public:
    using Handler = std::function<HttpResponse(ApiRequest &)>;

    struct Route
    {
        QByteArray method;
        QByteArrayList segments;
        Handler handler;
        bool authenticated = true;
        bool listedInAllow = true; ///< false for routes that exist only to refuse (reserved names)
        int literalCount = 0;
    };

    struct Match
    {
        const Route *route = nullptr;
        QList<QByteArray> args;
    };

    /// The route's pattern as a path under the root, path arguments as "{id}", e.g.
    /// "/oxm/v1/streams/{id}/streaming" (a metrics label: one per route, not per asset).
    QString patternOf(const Route &route) const;

    /// `root` is the prefix every API path starts with, e.g. "/oxm/v1".
    explicit Router(QByteArray root);

    void addRoute(const QByteArray &method, const QByteArray &pattern, Handler handler,
                  bool authenticated = true);
    /// A route that always refuses (e.g. PUT on a reserved name): matched like any other, but
    /// not offered in the Allow header of a 405.
    void addRefusingRoute(const QByteArray &method, const QByteArray &pattern, Handler handler);

    /// Matches `encodedPath` (as received, percent-encoded). Throws ApiError NotFound (1040) or
    /// MethodNotAllowed (1091, with an Allow header).
    Match match(const QByteArray &method, const QByteArray &encodedPath) const;

    /// Every route as (method, full path) in the order added, "<arg>" for each argument, e.g.
    /// ("PUT", "/oxm/v1/streams/<arg>/streaming"); "healthz" also as "/healthz".
    QList<QPair<QByteArray, QByteArray>> paths() const;

private:
    QByteArray m_root;
    QList<Route> m_routes;
};

} // namespace oxm
