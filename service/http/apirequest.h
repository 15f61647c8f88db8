#pragma once

#include "auth/principal.h"

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QString>

namespace oxm {

/// One API request as the controllers see it: already routed and authenticated.
struct ApiRequest
{
    QByteArray method;              ///< "GET", "PUT", ...
    QString path;                   ///< the path as received (percent-encoded), for logs
    QString route;                  ///< the matched route's pattern (Router::patternOf); empty: none
    QList<QByteArray> args;         ///< the percent-decoded path segments matched by <arg>
    QHash<QString, QString> query;  ///< decoded query parameters (each name at most once)
    QByteArray body;
    QHostAddress peer;              ///< the TCP peer
    QByteArray forwardedFor;        ///< X-Forwarded-For as received (trusted only from proxies)
    Principal principal;            ///< the verified caller (routes that need authentication)
    QString requestId;              ///< fresh UUID of this request
    qint64 receivedNs = 0;          ///< server receive time, ns since the epoch
};

} // namespace oxm
