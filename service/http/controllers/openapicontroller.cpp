#include "openapicontroller.h"

#include "domain/apierror.h"

#include <QFile>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcOpenApi, "oxm.http.openapi")

namespace oxm {

OpenApiController::OpenApiController()
{
    QFile file(QStringLiteral(":/oxm/openapi.json"));
    if (file.open(QIODevice::ReadOnly))
        m_document = file.readAll();
    else
        qCWarning(lcOpenApi) << "the OpenAPI document is not embedded in this build";
}

HttpResponse OpenApiController::documentAction() const
{
    if (m_document.isEmpty())
        throw ApiError(ErrorCode::Internal, QStringLiteral("Internal server error"));
    return HttpResponse::rawJson(m_document);
}

} // namespace oxm
