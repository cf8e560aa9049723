// cello-studio [app.py]: the desktop face of Cello.
#include "main_window.hpp"
#include "output_capture.hpp"
#include "python_runtime.hpp"

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>

#include <cstdio>
#include <memory>

int main(int argc, char** argv) {
    QApplication qt(argc, argv);
    QApplication::setOrganizationName("Cello");
    QApplication::setApplicationName("cello-studio");
    QApplication::setApplicationVersion(CELLO_VERSION);

    QCommandLineParser args;
    args.setApplicationDescription("Cello Studio: run a Cello app, reload it on save, watch its requests.");
    args.addHelpOption();
    args.addVersionOption();
    args.addPositionalArgument("app", "the app to open, e.g. app.py", "[app.py]");
    QCommandLineOption attach({"a", "attach"}, "attach to a server's inspector API", "URL");
    QCommandLineOption token({"t", "token"}, "the inspector token (default: $CELLO_INSPECT_TOKEN)", "TOKEN");
    args.addOption(attach);
    args.addOption(token);
    args.process(qt);

    // Before Python starts, so its output and the engine's are captured from the first line.
    auto capture = std::make_unique<cello::studio::OutputCapture>();
    std::unique_ptr<cello::studio::PythonRuntime> python;
    try {
        python = std::make_unique<cello::studio::PythonRuntime>(argv[0]);
    } catch (const std::exception& e) {
        capture.reset();
        std::fprintf(stderr, "cello-studio: %s\n", e.what());
        return 1;
    }
    int status = 0;
    {
        cello::studio::MainWindow window(capture.get());
        window.show();
        if (args.isSet(attach)) {
            const QString t = args.isSet(token) ? args.value(token) : qEnvironmentVariable("CELLO_INSPECT_TOKEN");
            window.attach(QUrl(args.value(attach)), t);
        } else if (!args.positionalArguments().isEmpty()) {
            window.openApp(args.positionalArguments().first());
        }
        status = QApplication::exec();
    }  // the app stops before the interpreter goes
    python.reset();
    return status;
}
