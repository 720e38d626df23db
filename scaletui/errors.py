"""Errors a user can cause or fix: each carries one sentence and what to do, never a traceback.

The headless runner maps each class to a documented exit code (see `EXIT_CODES`).
"""

from __future__ import annotations


class UserError(Exception):
    """One clear sentence (`message`) plus what to do (`hint`)."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class Cancelled(UserError):
    """Work the user cancelled (ctrl+g, Ctrl-C): what happened, said once as a warning, not an error."""

    exit_code = 130


class ConfigError(UserError):
    """A configuration or session file is malformed or invalid."""

    exit_code = 2


class PlatformError(UserError):
    """Machines, Flink, Java or the cluster could not be had or reached."""

    exit_code = 3


class JobError(UserError):
    """The job failed to start or failed while running."""

    exit_code = 4


class SloError(UserError):
    """The run finished but broke the SLO its experiment file asserts."""

    exit_code = 5


class NotConfirmed(UserError):
    """A verb that gives machines back (`destroy`) was not on a terminal to ask and had no --yes: nothing was done.
    Its own code, so a script tells it from a failure (2 was read as a malformed file)."""

    exit_code = 6


EXIT_CODES = {
    0: "success",
    1: "other error (see the session log)",
    ConfigError.exit_code: "configuration error: a file is malformed or invalid",
    PlatformError.exit_code: "platform error: machines, Java, Flink or the cluster could not be had, "
    "or the session is open in another scaletui",
    JobError.exit_code: "job failure: the job failed to start or failed while running",
    SloError.exit_code: "SLO check failed: the run broke the SLO its experiment file asserts",
    NotConfirmed.exit_code: "not confirmed: not on a terminal, destroy needs --yes; nothing was released",
    130: "interrupted (Ctrl-C, SIGTERM, or SIGHUP to the app); partial results kept, faults reverted",
}
