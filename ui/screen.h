#pragma once

#include <QWidget>

namespace oxm {

/// A page of the main window.
class Screen : public QWidget
{
    Q_OBJECT

public:
    using QWidget::QWidget;

    /// Reloads what the screen shows (F5).
    virtual void refresh() = 0;

Q_SIGNALS:
    /// A short message for the window's status bar.
    void statusMessage(const QString &message);
    /// Something failed that the user should read (shown in a message box when interactive).
    void errorMessage(const QString &title, const QString &message);
};

} // namespace oxm
