#include "router.h"

#include "domain/apierror.h"

#include <QSet>

namespace oxm {

namespace {
const QByteArray ArgToken = QByteArrayLiteral("<arg>");
}

Router::Router(QByteArray root)
    : m_root(std::move(root))
{
}

void Router::addRoute(const QByteArray &method, const QByteArray &pattern, Handler handler, bool authenticated)
{
    Route route;
    route.method = method;
    route.segments = pattern.split('/');
    route.handler = std::move(handler);
    route.authenticated = authenticated;
    for (const QByteArray &s : std::as_const(route.segments))
        route.literalCount += s == ArgToken ? 0 : 1;
    m_routes.append(std::move(route));
}

void Router::addRefusingRoute(const QByteArray &method, const QByteArray &pattern, Handler handler)
{
    addRoute(method, pattern, std::move(handler));
    m_routes.last().listedInAllow = false;
}

QList<QPair<QByteArray, QByteArray>> Router::paths() const
{
    QList<QPair<QByteArray, QByteArray>> list;
    for (const Route &route : m_routes) {
        const QByteArray pattern = route.segments.join('/');
        list.append({route.method, m_root + '/' + pattern});
        if (pattern == "healthz" || pattern == "metrics") // match() answers these outside the root as well
            list.append({route.method, '/' + pattern});
    }
    return list;
}

QString Router::patternOf(const Route &route) const
{
    QByteArrayList segments = route.segments;
    for (QByteArray &segment : segments)
        if (segment == ArgToken)
            segment = "{id}";
    return QString::fromUtf8(m_root + '/' + segments.join('/'));
}

Router::Match Router::match(const QByteArray &method, const QByteArray &encodedPath) const
{
    const auto notFound = [&] {
        return ApiError(ErrorCode::NotFound, QStringLiteral("No such resource: %1").arg(QString::fromUtf8(encodedPath)));
    };
    QByteArray rest;
    if (encodedPath.startsWith(m_root + '/'))
        rest = encodedPath.mid(m_root.size() + 1);
    else if (encodedPath == "/healthz" || encodedPath == "/metrics") // where probes and Prometheus look
        rest = encodedPath.mid(1);
    else
        throw notFound();

    const QByteArrayList segments = rest.split('/');
    const Route *best = nullptr;
    QList<QByteArray> bestArgs;
    QList<const Route *> matching;
    for (const Route &route : m_routes) {
        if (route.segments.size() != segments.size())
            continue;
        QList<QByteArray> args;
        bool matches = true;
        for (qsizetype i = 0; i < segments.size() && matches; ++i) {
            if (route.segments[i] == ArgToken)
                args.append(QByteArray::fromPercentEncoding(segments[i]));
            else
                matches = route.segments[i] == segments[i];
        }
        if (!matches)
            continue;
        matching.append(&route);
        if (route.method == method && (!best || route.literalCount > best->literalCount)) {
            best = &route;
            bestArgs = std::move(args);
        }
    }
    if (best)
        return Match{best, bestArgs};
    if (matching.isEmpty())
        throw notFound();
    // Allow lists the methods of the most specific pattern that matched ("streams/history", not
    // "streams/<arg>"), except routes that exist only to refuse.
    int mostLiterals = 0;
    for (const Route *route : std::as_const(matching))
        mostLiterals = std::max(mostLiterals, route->literalCount);
    QList<QByteArray> allowed;
    for (const Route *route : std::as_const(matching))
        if (route->literalCount == mostLiterals && route->listedInAllow && !allowed.contains(route->method))
            allowed.append(route->method);
    throw ApiError(ErrorCode::MethodNotAllowed,
                   QStringLiteral("Method %1 is not allowed here; allowed: %2")
                       .arg(QString::fromLatin1(method), QString::fromLatin1(allowed.join(", "))),
                   {}, {{QByteArrayLiteral("Allow"), allowed.join(", ")}});
}

} // namespace oxm
