#include "errormapper.h"

#include <QJsonObject>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcErrors, "oxm.http.errors")

namespace oxm::ErrorMapper {

int httpStatus(ErrorCode code)
{
    switch (code) {
    case ErrorCode::MissingToken:
    case ErrorCode::InvalidToken:
    case ErrorCode::ExpiredToken:
        return 401;
    case ErrorCode::ForbiddenRead:
    case ErrorCode::ForbiddenWrite:
        return 403;
    case ErrorCode::NotFound:
        return 404;
    case ErrorCode::MaxPerUser:
    case ErrorCode::MaxPerAsset:
    case ErrorCode::MaxDevices:
    case ErrorCode::EndedByAdmin:
        return 409;
    case ErrorCode::BodyTooLarge:
        return 413;
    case ErrorCode::MethodNotAllowed:
        return 405;
    case ErrorCode::BadFraming:
    case ErrorCode::NotAnObject:
    case ErrorCode::InvalidParameter:
    case ErrorCode::PolicyInconsistent:
        return 400;
    case ErrorCode::Unavailable:
        return 503;
    case ErrorCode::Internal:
        break;
    }
    return 500;
}

HttpResponse toResponse(const ApiError &error, const QString &requestId)
{
    QJsonObject body = error.extra();
    body.insert(QStringLiteral("errorCode"), int(error.code()));
    body.insert(QStringLiteral("message"), error.message());
    body.insert(QStringLiteral("requestID"), requestId);
    HttpResponse response = HttpResponse::json(QJsonDocument(body), httpStatus(error.code()));
    response.headers.append(error.headers());
    // RFC 6750 §3: a 401 names the scheme; a token that was presented and refused is
    // "invalid_token" (malformed, bad signature, expired: §3.1).
    if (error.code() == ErrorCode::MissingToken)
        response.headers.append({QByteArrayLiteral("WWW-Authenticate"), QByteArrayLiteral("Bearer realm=\"oxm\"")});
    else if (error.code() == ErrorCode::InvalidToken || error.code() == ErrorCode::ExpiredToken)
        response.headers.append({QByteArrayLiteral("WWW-Authenticate"),
                                 QByteArrayLiteral("Bearer realm=\"oxm\", error=\"invalid_token\"")});
    return response;
}

HttpResponse toResponse(const StorageError &error, const QString &requestId)
{
    qCWarning(lcErrors).noquote() << "request" << requestId << "storage fault:" << error.what();
    if (error.isTransient())
        return toResponse(ApiError(ErrorCode::Unavailable,
                                   QStringLiteral("The database is temporarily unavailable; retry later")),
                          requestId);
    return internalError(requestId);
}

HttpResponse internalError(const QString &requestId)
{
    return toResponse(ApiError(ErrorCode::Internal, QStringLiteral("Internal server error")), requestId);
}

} // namespace oxm::ErrorMapper
