#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QUrl>

namespace oxm {

/// What the service needs of one HTTP request, copied out of Qt's QHttpServerRequest by
/// HttpServerAdapter (Qt reuses that object per connection, and a request may wait its turn
/// behind a deferred answer on the same connection).
struct HttpRequest
{
    QByteArray method;        ///< "GET", "PUT", ... ("UNKNOWN" for methods Qt does not name)
    QUrl url;                 ///< as parsed by Qt; path and query are read FullyEncoded
    QByteArray authorization; ///< the Authorization header, empty when absent
    QByteArray forwardedFor;  ///< X-Forwarded-For, empty when absent
    QByteArray body;
    QHostAddress peer;        ///< the TCP peer
};

} // namespace oxm
