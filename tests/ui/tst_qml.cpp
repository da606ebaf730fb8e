// SPDX-License-Identifier: MIT
// QtQuickTest runner for the Atelier.Studio components (tests/ui/qml/tst_*.qml),
// with the app's static QML module and image provider.

#include <QtQml/qqmlextensionplugin.h>
#include <QQmlEngine>
#include <QtQuickTest>

#include "image_provider.h"

Q_IMPORT_QML_PLUGIN(Atelier_StudioPlugin)

class Setup : public QObject {
    Q_OBJECT
public Q_SLOTS:
    void qmlEngineAvailable(QQmlEngine* engine) {
        engine->addImportPath(QStringLiteral("qrc:/"));
        engine->addImageProvider(QStringLiteral("atelier"), new atelier::ui::AssetImageProvider);
    }
};

QUICK_TEST_MAIN_WITH_SETUP(atelier_ui, Setup)

#include "tst_qml.moc"
