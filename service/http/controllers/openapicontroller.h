#pragma once

#include "http/httpresponse.h"

#include <QByteArray>

namespace oxm {

/// GET /oxm/v1/openapi.json: docs/openapi.yaml as JSON (issue 7), converted when the service
/// was built (scripts/openapi-json.py) and embedded as the resource ":/oxm/openapi.json".
/// No authentication; no state besides the document, read once.
class OpenApiController final
{
public:
    OpenApiController();

    /// 200 with the document; 500/1500 if the build embedded none (never in a correct build).
    HttpResponse documentAction() const;

private:
    QByteArray m_document;
};

} // namespace oxm
