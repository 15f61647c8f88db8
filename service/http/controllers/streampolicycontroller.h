#pragma once

#include "http/controllers/apicontroller.h"

namespace oxm {

class PolicyService;

/// GET/PUT /streampolicy/{tenant} (seed: "Managing Streaming Policies"; contract §4).
class StreamPolicyController final : public ApiController
{
public:
    StreamPolicyController(PolicyService &policies, const Clock &clock);

    /// 200 {"maxPerUser","maxPerAsset","maxDevices"}; 403/1003 another tenant; 404/1040 unregistered.
    HttpResponse getAction(ApiRequest &request);
    /// 200 with the stored policy; 403/1004 not an admin of the tenant; 400/1103/1104/1105.
    HttpResponse putAction(ApiRequest &request);

private:
    PolicyService &m_policies;
};

} // namespace oxm
