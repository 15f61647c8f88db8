#pragma once

#include "core/serviceconfig.h"
#include "serversettings.h"

class QCommandLineParser;

namespace oxm {

/// How oxm-admin turns its remembered settings and its command line (the same options as
/// oxm-server, ServerOptions) into the service's configuration: command line > QSettings >
/// defaults, with oxm-server's validation and secret handling.
class AdminConfig
{
public:
    /// `settings` with every ServerOptions option given on `parser` (already processed) replacing
    /// the remembered value.
    static ServerSettings mergeCommandLine(ServerSettings settings, const QCommandLineParser &parser);
    /// The ServiceConfig for `settings` (through ServerOptions, so the rules and messages are
    /// oxm-server's). Throws std::invalid_argument with a message for the user.
    static ServiceConfig toServiceConfig(const ServerSettings &settings, const QStringList &trustedProxies);
};

} // namespace oxm
