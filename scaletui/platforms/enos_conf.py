"""Build the real EnosLib configuration of a platform TOML, or fail with one sentence naming the TOML key.

Two steps, both before anything is reserved:
- `check_configuration`: the provider's own JSON schema and validator (format checkers included), offline.
- `build_configuration`: `Configuration.from_dictionary(...).finalize()`. For Grid5000-based providers this
  resolves cluster -> site through the Grid5000 API (EnosLib's own lookup, with the credentials EnosLib reads from
  ~/.python-grid5000.yaml), so an unknown cluster is caught here too.
EnosLib is imported lazily (about 2 s), always through `enoslib_module`.
"""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass
from typing import Any

from scaletui.config.models import PlatformFile
from scaletui.errors import ConfigError, PlatformError
from scaletui.platforms.enos_dicts import DICT_BUILDERS, ProviderDict


@dataclass(frozen=True)
class EnosKind:
    """Where a platform type's EnosLib classes live, and the extra to install when its provider is missing."""

    conf_module: str
    provider_module: str
    provider_class: str
    extra: str = ""
    user_schema: str = "_SCHEMA"


ENOS_KINDS: dict[str, EnosKind] = {
    "Grid5000": EnosKind(
        "enoslib.infra.enos_g5k.configuration", "enoslib.infra.enos_g5k.provider", "G5k", user_schema="SCHEMA_USER"
    ),
    "VagrantG5k": EnosKind(
        "enoslib.infra.enos_g5k.configuration", "enoslib.infra.enos_g5k.provider", "G5k", user_schema="SCHEMA_USER"
    ),
    "VMonG5k": EnosKind("enoslib.infra.enos_vmong5k.configuration", "enoslib.infra.enos_vmong5k.provider", "VMonG5k"),
    "Chameleon": EnosKind(
        "enoslib.infra.enos_chameleonbaremetal.configuration",
        "enoslib.infra.enos_chameleonbaremetal.provider",
        "Chameleonbaremetal",
        "chameleon",
    ),
    "FIT": EnosKind(
        "enoslib.infra.enos_iotlab.configuration", "enoslib.infra.enos_iotlab.provider", "Iotlab", "iotlab"
    ),
    "Static": EnosKind("enoslib.infra.enos_static.configuration", "enoslib.infra.enos_static.provider", "Static"),
}

FORMAT_HINTS = {
    "walltime": 'a walltime like "02:00:00" or "2h"',
    "reservation": 'a date like "2026-01-31 19:00:00" (Europe/Paris)',
    "start_time": 'a date like "2026-01-31 19:00:00"',
    "hostname": "node names of one architecture",
    "job_type": "OAR job types",
    "mac": "MAC addresses",
}


def enoslib_module(name: str) -> Any:
    """Import an EnosLib module with Ansible's colour off. Ansible decides on colour once, when imported
    (ansible/utils/color.py): unless ANSIBLE_NOCOLOR is set, a stdout that says it is a terminal gets
    `curses.setupterm()`, which raises ValueError under Textual, whose stdout stand-in claims to be a terminal with
    file descriptor -1. EnosLib's Ansible output goes to the log here, never to a terminal."""
    os.environ["ANSIBLE_NOCOLOR"] = "1"
    return importlib.import_module(name)


def provider_dict(pf: PlatformFile, source: str) -> ProviderDict:
    try:
        build = DICT_BUILDERS[pf.platform.type]
    except KeyError:
        raise ConfigError(f"{source}: key platform.type {pf.platform.type!r} is not an EnosLib platform.") from None
    return build(pf, source)


def conf_class(platform_type: str) -> Any:
    kind = ENOS_KINDS[platform_type]
    return enoslib_module(kind.conf_module).Configuration


def _sentence(source: str, pd: ProviderDict, error: Any) -> ConfigError:
    """One jsonschema ValidationError as "<file>: key <toml key> expected ..., got ..."."""
    path = tuple(error.absolute_path)
    validator = error.validator
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        key = pd.toml_key(path + (missing,)) if missing else pd.toml_key(path)
        if key == pd.toml_key(path) and missing:
            key = f"{key} ({missing})"
        return ConfigError(f"{source}: key {key} is missing and required.")
    key = pd.toml_key(path)
    got = error.instance
    shown = repr(got) if not isinstance(got, (dict, list)) else type(got).__name__
    if validator == "enum":
        what = "one of " + ", ".join(repr(v) for v in error.validator_value)
    elif validator == "type":
        what = f"a value of type {error.validator_value}"
    elif validator == "format":
        what = FORMAT_HINTS.get(str(error.validator_value), f"the {error.validator_value} format")
    elif validator == "additionalProperties":
        return ConfigError(f"{source}: key {key} holds a key EnosLib does not know ({error.message}).")
    elif validator in ("minimum", "exclusiveMinimum"):
        what = f"a number above {error.validator_value}"
    elif validator == "minItems":
        what = f"at least {error.validator_value} item(s)"
    else:
        what = error.message.rstrip(".")
    return ConfigError(f"{source}: key {key} expected {what}, got {shown}.")


def check_configuration(pf: PlatformFile, source: str = "") -> ProviderDict:
    """Validate the provider dictionary against EnosLib's own schema, offline. Returns the dictionary."""
    from jsonschema.exceptions import best_match

    source = source or f"conf/platforms/{pf.platform.name}.toml"
    pd = provider_dict(pf, source)
    kind = ENOS_KINDS[pf.platform.type]
    conf_cls = conf_class(pf.platform.type)
    module = importlib.import_module(conf_cls.__module__)
    schema = getattr(module, kind.user_schema, None) or conf_cls._SCHEMA
    make_validator = conf_cls._VALIDATOR_FUNC
    if make_validator is None:
        from jsonschema import Draft7Validator

        validator = Draft7Validator(schema)
    else:
        validator = make_validator(schema)
    error = best_match(validator.iter_errors(pd.data))
    if error is not None:
        raise _sentence(source, pd, error)
    return pd


def build_configuration(pf: PlatformFile, source: str = "") -> Any:
    """The finalized EnosLib Configuration object of this platform file."""
    import jsonschema

    source = source or f"conf/platforms/{pf.platform.name}.toml"
    pd = check_configuration(pf, source)
    conf_cls = conf_class(pf.platform.type)
    try:
        conf = conf_cls.from_dictionary(pd.data).finalize()
    except jsonschema.ValidationError as e:
        raise _sentence(source, pd, e) from None
    except KeyError as e:
        # EnosLib's cluster -> site lookup: the cluster is not in the Grid5000 reference API.
        raise ConfigError(
            f"{source}: key settings.cluster names {e.args[0]!r}, which Grid5000 does not know.",
            "Pick a cluster listed on https://www.grid5000.fr/w/Hardware.",
        ) from None
    except ValueError as e:
        named = re.findall(r"'(\w+)'", str(e))
        key = f"settings.{named[0]}" if named else "settings"
        raise ConfigError(f"{source}: key {key} is refused by EnosLib: {str(e).rstrip('.')}.") from None
    except Exception as e:
        if type(e).__module__.startswith(("grid5000", "requests", "urllib3")):
            raise PlatformError(
                f"the Grid5000 API could not be reached to check {source} ({e}).",
                "Check ~/.python-grid5000.yaml and your network or VPN.",
            ) from None
        raise
    _check_site(pf, source, conf)
    return conf


def _check_site(pf: PlatformFile, source: str, conf: Any) -> None:
    """The TOML names the site for the networks; the cluster must be on it."""
    site = pf.settings.get("site")
    if pf.platform.type not in ("Grid5000", "VagrantG5k") or not site:
        return
    for machine in conf.machines:
        if getattr(machine, "site", site) != site:
            raise ConfigError(
                f"{source}: key settings.cluster {machine.cluster!r} is on site {machine.site!r}, "
                f"not on settings.site {site!r}."
            )


def provider_class(platform_type: str) -> Any:
    """The EnosLib provider class; a missing optional dependency becomes one sentence naming the extra."""
    kind = ENOS_KINDS[platform_type]
    try:
        module = enoslib_module(kind.provider_module)
    except ImportError as e:
        raise PlatformError(
            f"EnosLib's {platform_type} provider cannot be loaded ({e.name or e} is missing).",
            f"Install it with: uv pip install 'enoslib[{kind.extra}]'.",
        ) from None
    return getattr(module, kind.provider_class)
