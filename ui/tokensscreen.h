#pragma once

#include "screen.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace oxm {

class ServiceHost;

/// Screen 5, "Tokens": mints a bearer token (TokenIssuer, the running service's secret) for a
/// tenant, user, role, device and lifetime; copies it; and shows a ready curl command that sends
/// a heartbeat with it to the running server.
class TokensScreen final : public Screen
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TokensScreen)

public:
    explicit TokensScreen(ServiceHost &host, QWidget *parent = nullptr);

    void refresh() override;
    /// Mints a token from the fields. Returns false (with the reason shown) on invalid input.
    bool mint();
    /// Fills the fields (screenshots, tests).
    void setFields(const QString &tenant, const QString &user, bool admin, const QString &device,
                   int lifetimeMinutes, const QString &asset);

    QString token() const { return m_token; }
    QString curlCommand() const;
    QLabel *messageLabel() const { return m_message; }

private:
    void updateCurl();

    ServiceHost &m_host;
    QString m_token;
    QLineEdit *m_tenant;
    QLineEdit *m_user;
    QComboBox *m_role;
    QLineEdit *m_device;
    QSpinBox *m_lifetime;
    QLineEdit *m_asset;
    QPushButton *m_mint;
    QLabel *m_message;
    QPlainTextEdit *m_tokenText;
    QPlainTextEdit *m_curlText;
    QPushButton *m_copyToken;
    QPushButton *m_copyCurl;
};

} // namespace oxm
