"""Which class serves which `[platform] type`: the built-ins, plus packages registering the entry point group
`scaletui.platforms` (name = the type, value = a class taking `(PlatformFile, source)`), like Scalehub's factory.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

from scaletui.config.loader import load_platform
from scaletui.config.models import PlatformFile
from scaletui.errors import ConfigError
from scaletui.platforms.base import Platform

ENTRY_POINT_GROUP = "scaletui.platforms"
ENOS_TYPES = ("Grid5000", "VagrantG5k", "VMonG5k", "Chameleon", "FIT", "Static")

PlatformFactory = Callable[[PlatformFile, str], Platform]


def _local(pf: PlatformFile, source: str) -> Platform:
    from scaletui.platforms.local import LocalPlatform

    return LocalPlatform(pf, source)


def _simulator(pf: PlatformFile, source: str) -> Platform:
    from scaletui.platforms.simulator import SimulatorPlatform

    return SimulatorPlatform(pf, source)


def _enos(pf: PlatformFile, source: str) -> Platform:
    from scaletui.platforms.enos import EnosPlatform

    return EnosPlatform(pf, source)


BUILTIN: dict[str, PlatformFactory] = {"local": _local, "simulator": _simulator, **{t: _enos for t in ENOS_TYPES}}
_registered: dict[str, PlatformFactory] = {}


def register_platform(type_name: str, factory: PlatformFactory) -> None:
    """Add a platform type at run time (tests, plugins loaded by hand)."""
    _registered[type_name] = factory


def platform_types() -> dict[str, PlatformFactory]:
    """Built-ins, then entry points, then run-time registrations (later ones win)."""
    types = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        types[ep.name] = _entry_point_factory(ep.name, ep.load)
    types.update(_registered)
    return types


def _entry_point_factory(name: str, load: Callable[[], object]) -> PlatformFactory:
    def make(pf: PlatformFile, source: str) -> Platform:
        try:
            factory = load()
        except Exception as e:
            raise ConfigError(
                f"{source}: platform type {name!r} comes from a plugin that fails to load ({e}).",
                "Reinstall or remove the plugin package.",
            ) from None
        platform = factory(pf, source)  # type: ignore[operator]
        if not isinstance(platform, Platform):
            raise ConfigError(f"{source}: platform type {name!r} does not provide reserve/status/extend/release.")
        return platform

    return make


def create_platform(pf: PlatformFile, source: str = "") -> Platform:
    source = source or f"conf/platforms/{pf.platform.name}.toml"
    types = platform_types()
    try:
        factory = types[pf.platform.type]
    except KeyError:
        raise ConfigError(
            f"{source}: key platform.type expected one of {', '.join(sorted(types))}, got {pf.platform.type!r}.",
            "Custom types come from packages registering the 'scaletui.platforms' entry point.",
        ) from None
    return factory(pf, source)


def load_platform_file(path: Path | str) -> Platform:
    """Read conf/platforms/<name>.toml and build its platform (EnosLib configuration not yet finalized)."""
    return create_platform(load_platform(path), str(path))


def check_platform(pf: PlatformFile, source: str = "") -> None:
    """Everything that can be checked before reserving; for EnosLib types the real `from_dictionary().finalize()`."""
    platform = create_platform(pf, source)
    configuration = getattr(platform, "configuration", None)
    if callable(configuration):
        configuration()
