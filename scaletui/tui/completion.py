"""Tab on the `:` line: the command names first, then, after a command, the names its next word takes where they form
a known set (the running job's operators, the strategies, the themes, the help's sections, fault kinds and targets),
then the `key=` names of its `key=value` words (a strategy's parameters and the loop's settings, a load profile's, a
fault's), read from what the line's parser checks them against, less the keys the line already gives.

One Tab completes a word that has one candidate; with several it extends the word as far as they agree (else takes
the first) and lists them; each further Tab takes the next (shift+Tab the previous). Typing starts afresh.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from scaletui.chaos.kinds import KINDS
from scaletui.tui.actions import ACTIONS, by_verb
from scaletui.tui.screens.help import SECTIONS

if TYPE_CHECKING:
    from textual.widget import Widget

    from scaletui.cluster.base import Instance
    from scaletui.engine import Engine


@dataclass(frozen=True)
class Names:
    """What the arguments of the `:` verbs can be now, read when Tab is pressed."""

    operators: tuple[str, ...] = ()
    strategies: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    instances: tuple[str, ...] = ()
    faults: tuple[str, ...] = ()


def _load_profiles() -> tuple[str, ...]:
    from scaletui.workload.profiles import BUILDERS  # pydantic's models: loaded at the first Tab, not the first frame

    return tuple(BUILDERS)


ARGUMENTS: dict[str, tuple[Callable[[Names], Sequence[str]], ...]] = {
    "help": (lambda _: SECTIONS,),
    "theme": (lambda n: n.themes,),
    "layout": (lambda _: ("auto", "tabs", "dashboard"),),
    "dry-run": (lambda _: ("on", "off"),),
    "rescale": (lambda n: n.operators,),
    "strategy": (lambda n: ("none", *n.strategies),),
    "load": (lambda _: _load_profiles(),),
    "fault": (lambda _: KINDS, lambda n: (*n.instances, "role:jobmanager", "role:taskmanager")),
    "revert": (lambda n: (*n.faults, "all"),),
}
"""Per verb, the candidates of its first, second ... word; a word past these (a number, a duration) has none, or is a
`key=value` word its KEYS name."""


def _strategy_keys(args: Sequence[str]) -> Sequence[str]:
    """The named strategy's parameters, the fields of its Params that parse_params checks, and the loop's settings,
    which split_loop takes from the same words; none for a strategy the line cannot run."""
    from scaletui.config.models import LOOP_KEYS
    from scaletui.scaling.registry import STRATEGIES

    name = args[0] if args else ""
    own = STRATEGIES.get(name)
    if own is None and name != "none":
        return ()
    return (*(f.name for f in dataclasses.fields(own.Params)), *LOOP_KEYS) if own is not None else LOOP_KEYS


def _fault_keys(args: Sequence[str]) -> Sequence[str]:
    """The kind's parameters as chaos/params.py validates them, its own before the target selection (mode, value),
    less its main value when written bare before the duration (`100ms` of a delay is its latency_ms)."""
    from scaletui.chaos.params import MODELS, own_fields
    from scaletui.tui.intent_parser import UNIT_PARAMS

    kind = args[0] if args else ""
    if kind not in MODELS:
        return ()
    bare = [w for w in args[2:] if "=" not in w]
    main = UNIT_PARAMS[kind][0] if kind in UNIT_PARAMS and len(bare) >= 2 else ""
    return [key for key in (*own_fields(kind), *MODELS[kind].model_fields) if key != main]


def _load_keys(args: Sequence[str]) -> Sequence[str]:
    """The profile's PARAMETERS, less those written bare: a number is the rate, RATE@TIME a step (as `:load` reads
    them)."""
    from scaletui.workload.profiles import PARAMETERS

    rest = args[1:]
    bare = {"steps" if "@" in w else "rate" for w in rest if "@" in w or "=" not in w}
    return [key for key in PARAMETERS.get(args[0] if args else "", ()) if key not in bare]


KEYS: dict[str, Callable[[Sequence[str]], Sequence[str]]] = {
    "strategy": _strategy_keys,
    "load": _load_keys,
    "fault": _fault_keys,
}
"""Per verb that takes `key=value` words after its ARGUMENTS, the keys it takes given the words after the verb."""


def _keys_left(keys: Sequence[str], args: Sequence[str]) -> list[str]:
    """`key=` for each key the words do not give yet (a parameter may be typed with - for _)."""
    given = {w.partition("=")[0].replace("-", "_") for w in args if "=" in w}
    return [f"{key}=" for key in keys if key not in given]


def candidates(line: str, names: Names) -> tuple[str, list[str]]:
    """The text before the word under completion (the last one) and what that word can become."""
    head, _, word = line.rpartition(" ")
    prefix = f"{head} " if head else ""
    colon = ":" if not head and word.startswith(":") else ""
    if colon:
        prefix, word = colon, word[1:]
    words = head.lstrip(":").split()
    if not words:
        options: Sequence[str] = [a.verb_word for a in ACTIONS if a.verb]
    else:
        action = by_verb(words[0])
        verb = action.verb_word if action is not None else ""
        sources = ARGUMENTS.get(verb, ())
        at = len(words) - 1
        if at < len(sources):
            options = sources[at](names)
        elif verb in KEYS and "=" not in word:
            options = _keys_left(KEYS[verb](words[1:]), words[1:])
        else:
            options = ()
    return prefix, [o for o in dict.fromkeys(options) if o.lower().startswith(word.lower())]


@dataclass(frozen=True)
class Completion:
    value: str
    """The line after this Tab."""
    options: tuple[str, ...] = ()
    """The candidates to show when there are several; empty once the word is complete."""
    index: int = -1
    """Which of them the line holds (-1: none yet, the word was only extended)."""


class Completer:
    """The state of Tab across presses: the candidates of the last completion and which one the line shows."""

    def __init__(self) -> None:
        self._last: Completion | None = None
        self._prefix = ""

    @property
    def shown(self) -> str:
        """The line as the last Tab left it."""
        return self._last.value if self._last is not None else ""

    def complete(self, value: str, names: Names, step: int = 1) -> Completion:
        last = self._last
        if last is not None and last.options and value == last.value:
            index = (last.index + step) % len(last.options) if last.index >= 0 or step > 0 else len(last.options) - 1
            done = Completion(self._prefix + last.options[index], last.options, index)
        else:
            self._prefix, found = candidates(value, names)
            word = value[len(self._prefix) :]
            common = os.path.commonprefix([o.lower() for o in found])
            if len(found) == 1:
                done = Completion(self._prefix + found[0] + ("" if found[0].endswith("=") else " "))
            elif not found:
                done = Completion(value)
            elif len(common) > len(word):
                done = Completion(self._prefix + found[0][: len(common)], tuple(found))
            else:
                done = Completion(self._prefix + found[0], tuple(found), 0)
        self._last = done
        return done


class NamesSource(Protocol):
    """What the names are read from: the app (a Protocol, so this module does not import it)."""

    themes: dict[str, Any]

    @property
    def engine_ready(self) -> bool: ...

    @property
    def engine(self) -> Engine: ...

    def pane(self, name: str) -> Widget: ...


def names_of(app: NamesSource) -> Names:
    """The session's operators and faults, the instances of the Pods pane's last list (no call to the cluster), the
    strategies and the themes."""
    if not app.engine_ready:
        return Names(themes=tuple(app.themes))
    from scaletui.scaling.registry import strategy_names

    session = app.engine.store.session
    instances: list[Instance] = getattr(app.pane("pods"), "instances", [])
    return Names(
        operators=tuple(o.name for o in session.job.operators),
        strategies=tuple(strategy_names()),
        themes=tuple(app.themes),
        instances=tuple(i.name for i in instances),
        faults=tuple(f.id for f in session.faults),
    )
