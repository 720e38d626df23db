"""Where the runs a verb names are: a results directory as given, or a run id that the session's run history knows.

The run history screen (R) shows each run's short id (`072811Z`, longer where runs share one: `072811Z-p2`);
`report`, `replay`, `export`, `plot` and `compare` take it or the full id, looked up here in the session's history,
so every verb reads a name the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scaletui.errors import ConfigError
from scaletui.results.layout import distinct_short_ids, runs_under, short_run_id
from scaletui.session.model import RunRecord

HINT = "Give a run's id or short id as the run history (R) shows them, or a results directory."


@dataclass(frozen=True)
class RunHistory:
    """A session's runs as its session.toml lists them, read without opening the session (it may be open in the
    app: the file is only read, never locked or written)."""

    session: str
    runs: tuple[RunRecord, ...]
    default_root: Path
    """Where the session's runs go when it has none yet: <results>/<session>."""
    missing: Path | None = None
    """The session file, when there is none: no session of that name."""

    @classmethod
    def read(cls, config_file: str | None, session: str | None) -> RunHistory:
        from scaletui.config.loader import load_app_config
        from scaletui.session.store import SessionStore, loads

        config = load_app_config(config_file)
        name = session or config.session
        path = Path(config.paths.sessions).expanduser() / name / SessionStore.FILE
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(name, (), Path(config.paths.results).expanduser() / name, missing=path)
        except OSError as e:
            raise ConfigError(f"{path}: cannot be read ({e.strerror}).") from None
        return cls(name, tuple(loads(text, path).runs), Path(config.paths.results).expanduser() / name)

    def roots(self) -> list[Path]:
        """The directories holding the session's runs, the newest run's first (`--out` may have moved some)."""
        parents = [Path(r.results_dir).parent for r in sorted(self.runs, key=lambda r: -r.started_at) if r.results_dir]
        return list(dict.fromkeys(parents)) or [self.default_root]

    def find(self, run_id: str) -> Path:
        """The results directory of the run whose full or short id is `run_id`."""
        if self.missing is not None:
            from scaletui.session.store import session_names, sessions_there

            root = self.missing.parent.parent
            there = sessions_there(session_names(root))
            raise ConfigError(
                f"{run_id} is no directory, nor a run of session {self.session}: there is no session {self.session} "
                f"in {root}; {there}.",
                f"Name the session its runs are in with --session NAME. {HINT}",
            )
        shown = distinct_short_ids((r.id, r.experiment) for r in self.runs)
        matches = (
            [r for r in self.runs if r.id == run_id]
            or [r for r in self.runs if shown[r.id] == run_id]
            or [r for r in self.runs if short_run_id(r.id, r.experiment) == run_id]
        )
        if not matches:
            under = " and ".join(str(p) for p in self.roots())
            raise ConfigError(f"No run with id {run_id} in session {self.session}; its runs are under {under}.", HINT)
        if len(matches) > 1:
            listed = "; ".join(f"{shown[r.id]} ({r.experiment})" for r in matches)
            raise ConfigError(
                f"{run_id} is the short id of {len(matches)} runs in session {self.session}: {listed}.",
                "Give the full run id of the one you mean, or its id as the run history (R) shows it.",
            )
        run = matches[0]
        if not run.results_dir:
            raise ConfigError(f"Run {run.id} of session {self.session} recorded no results directory ({run.status}).")
        return Path(run.results_dir)


def _is_run_id(name: str) -> bool:
    """A name that is no path here and has no directory part reads as a run id."""
    return "/" not in name and not Path(name).expanduser().exists()


def resolve_runs(names: Sequence[str], config_file: str | None = None, session: str | None = None) -> list[Path]:
    """Each name as a directory (a run or a session's directory of runs), a run id resolved through the session's
    run history; the session file is read only when some name is an id."""
    history: RunHistory | None = None
    roots: list[Path] = []
    for name in names:
        if _is_run_id(name):
            history = history or RunHistory.read(config_file, session)
            roots.append(history.find(name))
        else:
            roots.append(Path(name))
    return roots


def runs_named(names: Sequence[str], config_file: str | None = None, session: str | None = None) -> list[Path]:
    """The run directories the names stand for, in the order given: what report, compare, export and plot act on."""
    return runs_under(resolve_runs(names, config_file, session))
