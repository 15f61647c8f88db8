#pragma once

#include <QString>
#include <QtGlobal>

namespace oxm {

/// The verified caller, taken only from a token whose signature checked out (contract §1).
struct Principal
{
    enum class Role { Subscriber, Admin };

    QString tenant;       ///< claim "tenant"
    QString userId;       ///< claim "sub"
    Role role = Role::Subscriber; ///< claim "role" ("subscriber" when absent)
    QString device;       ///< claim "device"; empty when absent
    qint64 expiresAt = 0; ///< claim "exp", seconds since the epoch

    bool isAdmin() const { return role == Role::Admin; }
};

} // namespace oxm
