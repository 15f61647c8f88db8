#pragma once

#include "serversettings.h"

#include <QDialog>

class QLineEdit;
class QSpinBox;

namespace oxm {

/// Edits the service options (ServerSettings: listen address, database, token secret file,
/// stream timeout, HTTP threads, TLS certificate and key). The caller saves and applies them.
class SettingsDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsDialog)

public:
    SettingsDialog(const ServerSettings &settings, QWidget *parent = nullptr);

    ServerSettings settings() const;

private:
    QLineEdit *m_listen;
    QLineEdit *m_database;
    QLineEdit *m_redis;
    QLineEdit *m_secretFile;
    QSpinBox *m_timeout;
    QSpinBox *m_threads;
    QLineEdit *m_tlsCertificate;
    QLineEdit *m_tlsKey;
};

} // namespace oxm
