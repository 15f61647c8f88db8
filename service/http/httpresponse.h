#pragma once

#include <QByteArray>
#include <QFuture>
#include <QJsonDocument>
#include <QList>
#include <QPair>
#include <memory>

namespace oxm {

/// A response as the controllers produce it; HttpServerAdapter writes it to the socket.
/// Bodies are JSON (`application/json; charset=utf-8`, contract preamble) except for 204.
/// A response may be deferred: then `deferred` holds the future response, which the adapter
/// writes when it is ready (e.g. after the commit of the write it acknowledges), without
/// holding up the HTTP thread meanwhile.
struct HttpResponse
{
    int status = 200;
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;
    std::shared_ptr<QFuture<HttpResponse>> deferred;

    bool isDeferred() const { return deferred != nullptr; }
    static HttpResponse later(QFuture<HttpResponse> future)
    {
        HttpResponse response;
        response.deferred = std::make_shared<QFuture<HttpResponse>>(std::move(future));
        return response;
    }

    static HttpResponse noContent() { return HttpResponse{204, {}, {}, {}}; }
    static HttpResponse json(const QJsonDocument &document, int status = 200)
    {
        return rawJson(document.toJson(QJsonDocument::Compact), status);
    }
    static HttpResponse rawJson(QByteArray body, int status = 200)
    {
        return HttpResponse{status, std::move(body),
                            {{QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json; charset=utf-8")}},
                            {}};
    }
};

} // namespace oxm
