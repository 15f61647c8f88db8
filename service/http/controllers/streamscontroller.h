#pragma once

#include "http/controllers/apicontroller.h"

#include <QList>

namespace oxm {

class PolicyService;
class ResumePoints;
class StreamRegistry;

/// /streams: heartbeats, stops, resume points, history and counts (seed: "Track stream
/// concurrency and progress", "Stream stop", "Retrieve/Delete stream progress",
/// "List stream progress history", "Retrieve stream counts"; contract §5).
class StreamsController final : public ApiController
{
public:
    StreamsController(StreamRegistry &registry, PolicyService &policies, ResumePoints &resumePoints,
                      const Clock &clock, QList<QHostAddress> trustedProxies);

    /// PUT /streams/{assetID}/streaming[?device=D][&progress=N] → 204, 409/1050–1053, 403/1004.
    HttpResponse streamingAction(ApiRequest &request);
    /// PUT /streams/{assetID}/stopped[?device=D][&progress=N] → 204 (also when not active).
    HttpResponse stoppedAction(ApiRequest &request);
    /// GET /streams/{assetID} → 200 resume point with `timestamp` in ms; 404/1040.
    HttpResponse resumePointAction(ApiRequest &request);
    /// DELETE /streams/{assetID} → 204; 404/1040.
    HttpResponse deleteResumePointAction(ApiRequest &request);
    /// GET /streams/history → 200 array, most recent first, `timestamp` RFC 3339 with ns.
    HttpResponse historyAction(ApiRequest &request);
    /// GET /streams/counts[?include=device] → 200 {"<asset>": n} or {"<asset>": {"<device>": n}}.
    HttpResponse countsAction(ApiRequest &request);
    /// PUT/DELETE on /streams/history or /streams/counts → 400/1104 (contract §3).
    HttpResponse reservedAction(ApiRequest &request);

private:
    struct Device
    {
        QString id;
        bool explicitDevice = false;
    };
    /// The device of contract §5: parameter, else token claim, else the client's IP address.
    Device resolveDevice(const ApiRequest &request) const;
    QString clientAddress(const ApiRequest &request) const;

    StreamRegistry &m_registry;
    PolicyService &m_policies;
    ResumePoints &m_resumePoints;
    QList<QHostAddress> m_trustedProxies;
};

} // namespace oxm
