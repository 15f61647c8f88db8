#pragma once

#include <QByteArray>
#include <QJsonDocument>
#include <QList>
#include <QPair>

namespace oxm {

/// A response as the controllers produce it; HttpServerAdapter writes it to the socket.
/// Bodies are JSON (`application/json; charset=utf-8`, contract preamble) except for 204.
struct HttpResponse
{
    int status = 200;
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;

    static HttpResponse noContent() { return HttpResponse{204, {}, {}}; }
    static HttpResponse json(const QJsonDocument &document, int status = 200)
    {
        return rawJson(document.toJson(QJsonDocument::Compact), status);
    }
    static HttpResponse rawJson(QByteArray body, int status = 200)
    {
        return HttpResponse{status, std::move(body),
                            {{QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json; charset=utf-8")}}};
    }
};

} // namespace oxm
