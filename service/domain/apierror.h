#pragma once

#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <stdexcept>

namespace oxm {

/// Error codes of the API (seed error tables; contract §1, §2). The HTTP status of each is
/// decided in one place, ErrorMapper (service/http/errormapper.h).
enum class ErrorCode : int {
    MissingToken = 1000,      ///< 401: no Authorization header or not "Bearer"
    InvalidToken = 1001,      ///< 401: malformed, bad signature, wrong alg, bad claims
    ExpiredToken = 1002,      ///< 401: exp/nbf/iat outside the 60 s leeway
    ForbiddenRead = 1003,     ///< 403: cannot read the resource (another tenant)
    ForbiddenWrite = 1004,    ///< 403: cannot update the resource / device mismatch
    NotFound = 1040,          ///< 404: unknown resource or route
    MaxPerUser = 1050,        ///< 409: admission refused by maxPerUser
    MaxPerAsset = 1051,       ///< 409: admission refused by maxPerAsset
    MaxDevices = 1052,        ///< 409: admission refused by maxDevices
    EndedByAdmin = 1053,      ///< 409: stream ended by an administrator
    BodyTooLarge = 1090,      ///< 413
    MethodNotAllowed = 1091,  ///< 405
    BadFraming = 1100,        ///< 400 (or 414/431/505, see ErrorMapper)
    NotAnObject = 1103,       ///< 400: body is not a JSON object
    InvalidParameter = 1104,  ///< 400: field/parameter missing, wrong type, out of range
    PolicyInconsistent = 1105,///< 400: maxPerAsset > maxPerUser while maxPerUser > 0
    Internal = 1500,          ///< 500: server-side fault, never leaks internals
    Unavailable = 1503,       ///< 503: storage temporarily unavailable (docs/api.md)
};

/// A failed request, thrown by the domain and the controllers and turned into the contract's
/// JSON error body (contract §2) by ErrorMapper, and nowhere else.
class ApiError : public std::runtime_error
{
public:
    ApiError(ErrorCode code, const QString &message, QJsonObject extra = {},
             QList<QPair<QByteArray, QByteArray>> headers = {})
        : std::runtime_error(message.toStdString())
        , m_code(code)
        , m_message(message)
        , m_extra(std::move(extra))
        , m_headers(std::move(headers))
    {
    }

    ErrorCode code() const { return m_code; }
    QString message() const { return m_message; }
    /// Fields added to the error body (e.g. "limit", "active", "streams" of a refusal).
    QJsonObject extra() const { return m_extra; }
    /// Headers added to the response (e.g. Retry-After).
    QList<QPair<QByteArray, QByteArray>> headers() const { return m_headers; }

private:
    ErrorCode m_code;
    QString m_message;
    QJsonObject m_extra;
    QList<QPair<QByteArray, QByteArray>> m_headers;
};

/// A storage fault (I/O error, disk full, database unavailable). Mapped to 503/1503 when the
/// fault is transient, 500/1500 otherwise; the message is logged, never sent to the client.
class StorageError : public std::runtime_error
{
public:
    explicit StorageError(const QString &detail, bool transient = false)
        : std::runtime_error(detail.toStdString()), m_transient(transient) {}
    bool isTransient() const { return m_transient; }

private:
    bool m_transient;
};

} // namespace oxm
