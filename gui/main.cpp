// cello-studio [app.py]: the desktop face of Cello.
#include "main_window.hpp"
#include "output_capture.hpp"
#include "preferences.hpp"
#include "python_runtime.hpp"

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>
#include <QRegularExpression>

#include <cstdio>
#include <string_view>
#include <memory>

namespace {

// Linux: without a display Qt's platform plugin aborts (a core dump, not a message). Say so first.
bool display_missing() {
#if defined(__linux__)
    return qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") &&
           qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
#else
    return false;
#endif
}

}  // namespace

int main(int argc, char** argv) {
    QCommandLineParser args;
    args.setApplicationDescription("Cello Studio: run a Cello app, reload it on save, watch its requests.");
    args.addHelpOption();
    args.addVersionOption();
    args.addPositionalArgument("app", "the app to open, e.g. app.py", "[app.py]");
    QCommandLineOption attach({"a", "attach"}, "attach to a server's inspector API", "URL");
    QCommandLineOption token({"t", "token"}, "the inspector token (default: $CELLO_INSPECT_TOKEN)", "TOKEN");
    QCommandLineOption host("host", "the address to serve the app on (default: the last used, or Preferences)", "HOST");
    QCommandLineOption port("port", "the port to serve the app on (0: any free port)", "PORT");
    QCommandLineOption env("env", "development or production", "ENV");
    QCommandLineOption workers("workers", "engine threads", "N");
    args.addOption(attach);
    args.addOption(token);
    for (const auto* o : {&host, &port, &env, &workers}) args.addOption(*o);
    // --help and --version need no display: answered before the GUI exists. (Everything else is
    // parsed once QApplication has taken its own options, such as -platform, out of argv.)
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "-h" || a == "--help" || a == "-?") {
            std::fputs(qPrintable(args.helpText().replace(QRegularExpression("^Usage: \\S+"), "Usage: cello-studio")),
                       stdout);
            return 0;
        }
        if (a == "-v" || a == "--version") {
            std::printf("cello-studio %s\n", CELLO_VERSION);
            return 0;
        }
    }
    if (display_missing()) {
        std::fprintf(stderr, "cello-studio: no display to open a window on (DISPLAY and WAYLAND_DISPLAY are not "
                             "set); run it in a desktop session, or use the headless `cello run` instead\n");
        return 1;
    }

    QApplication qt(argc, argv);
    QApplication::setOrganizationName("Cello");
    QApplication::setApplicationName("cello-studio");
    QApplication::setApplicationVersion(CELLO_VERSION);
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
        cello::studio::apply_theme(cello::studio::Preferences::load().theme);
        // Flags win over what the toolbar remembered, for this run (and are remembered once it starts).
        cello::studio::RunSettings run = window.settings();
        bool ok = true;
        if (args.isSet(host)) run.host = args.value(host).toStdString();
        if (args.isSet(port)) run.port = args.value(port).toInt(&ok);
        if (ok && args.isSet(workers)) run.workers = args.value(workers).toInt(&ok);
        if (!ok || run.port < 0 || run.port > 65535 || run.workers < 1 ||
            (args.isSet(env) && args.value(env) != "development" && args.value(env) != "production")) {
            std::fprintf(stderr, "cello-studio: --port must be 0-65535, --workers at least 1, --env development or production\n");
            return 2;
        }
        if (args.isSet(env)) run.env = args.value(env).toStdString();
        window.setSettings(run);
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
