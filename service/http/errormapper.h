#pragma once

#include "domain/apierror.h"
#include "http/httpresponse.h"

namespace oxm {

/// The one place that turns errors into HTTP responses (contract §2):
/// `{"errorCode": n, "message": "...", "requestID": "<uuid>"}` plus the error's extra fields
/// and headers, with the HTTP status that belongs to the code.
namespace ErrorMapper {

/// HTTP status of an error code: 1000–1002 → 401, 1003/1004 → 403, 1040 → 404, 1050–1053 → 409,
/// 1090 → 413, 1091 → 405, 1100/1103/1104/1105 → 400, 1500 → 500, 1503 → 503.
int httpStatus(ErrorCode code);

HttpResponse toResponse(const ApiError &error, const QString &requestId);

/// A storage fault: 503/1503 when transient, else 500/1500. The detail is logged, never sent.
HttpResponse toResponse(const StorageError &error, const QString &requestId);

/// Any other exception: 500/1500 with a generic message.
HttpResponse internalError(const QString &requestId);

} // namespace ErrorMapper
} // namespace oxm
