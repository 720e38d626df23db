"""`scaletui` with no verb: paint the app at once, open the engine behind it, and close it on the way out."""

from __future__ import annotations

from scaletui.tui.boot import Boot


def run_app(config_file: str | None = None, session: str | None = None) -> int:
    """The exit code; a settings or session file the engine refuses is raised as its one-sentence error."""
    from scaletui.tui.app import ScaletuiApp

    app = ScaletuiApp(boot=Boot.read(config_file, session))
    try:
        app.run()
    finally:
        if app.engine_ready:
            app.engine.close()
    if app.open_error is not None:
        raise app.open_error
    return app.return_code or 0
