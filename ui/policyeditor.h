#pragma once

#include "domain/types.h"

#include <QGroupBox>

class QLabel;
class QPushButton;
class QSpinBox;

namespace oxm {

/// Edits one tenant's maxPerUser / maxPerAsset / maxDevices with the API's validation
/// (PolicyService::validate: 1104 ranges, 1105 maxPerAsset > maxPerUser while maxPerUser > 0)
/// shown inline as the values change: a message under the fields, and Apply disabled while
/// the values are invalid or unchanged. Apply only asks (applyRequested); the screen stores it.
class PolicyEditor final : public QGroupBox
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PolicyEditor)

public:
    explicit PolicyEditor(QWidget *parent = nullptr);

    /// Edits `tenant`, whose stored policy is `stored`. An empty tenant disables the editor.
    void setTenant(const QString &tenant, const StreamPolicy &stored);
    /// The stored policy changed (e.g. over the API): the fields follow unless edited.
    void setStored(const StreamPolicy &stored);
    QString tenant() const { return m_tenant; }

    /// The values in the fields.
    StreamPolicy policy() const;
    void setPolicy(const StreamPolicy &policy);
    /// Empty when policy() passes validation, else why not.
    QString validationMessage() const { return m_error; }
    /// While a save runs the fields and buttons are disabled.
    void setBusy(bool busy);
    /// Shows the outcome of the last save ("Saved." or the error).
    void setResult(const QString &message, bool failed);

    QSpinBox *maxPerUserBox() const { return m_maxPerUser; }
    QSpinBox *maxPerAssetBox() const { return m_maxPerAsset; }
    QSpinBox *maxDevicesBox() const { return m_maxDevices; }
    QPushButton *applyButton() const { return m_apply; }
    QPushButton *revertButton() const { return m_revert; }
    QLabel *messageLabel() const { return m_message; }

Q_SIGNALS:
    void applyRequested(const QString &tenant, const oxm::StreamPolicy &policy);

private:
    void validate();
    void showMessage(const QString &text, bool warning);

    QString m_tenant;
    StreamPolicy m_stored;
    QString m_error;
    bool m_busy = false;
    bool m_resultShown = false; ///< the message is the last save's outcome
    QSpinBox *m_maxPerUser;
    QSpinBox *m_maxPerAsset;
    QSpinBox *m_maxDevices;
    QLabel *m_icon;
    QLabel *m_message;
    QPushButton *m_apply;
    QPushButton *m_revert;
};

} // namespace oxm
