"""Check an experiment file completely before anything irreversible: the EnosLib `finalize()` rule.

Every part is built here (platform file, load profile, strategy, and every timeline step: see engine/plan_check.py),
so a typo in any of them stops the run at once with one sentence naming the file and the key, before a run is
recorded, a cluster starts or a machine is reserved.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scaletui.config.loader import load_experiment, load_platform
from scaletui.config.models import Experiment, PlatformFile
from scaletui.errors import ConfigError
from scaletui.scaling.strategy import Strategy
from scaletui.workload.profiles import LoadProfile


@dataclass(frozen=True)
class PreparedExperiment:
    path: Path
    experiment: Experiment
    platform: PlatformFile
    profile: LoadProfile
    strategy: Strategy | None

    @property
    def name(self) -> str:
        return self.experiment.experiment.name


def _in_file(path: Path, err: ConfigError) -> ConfigError:
    if str(path) in err.message:
        return err
    return ConfigError(f"{path}: {err.message}", err.hint)


def prepare_experiment(path: Path | str, conf_dir: Path | str) -> PreparedExperiment:
    from scaletui.engine.plan_check import check_steps
    from scaletui.scaling.registry import load_strategy
    from scaletui.workload.profiles import build_profile

    path = Path(path)
    experiment = load_experiment(path)
    platform_path = Path(conf_dir) / "platforms" / f"{experiment.experiment.platform}.toml"
    if not platform_path.is_file():
        known = ", ".join(p.stem for p in sorted(platform_path.parent.glob("*.toml"))) or "none"
        raise ConfigError(
            f"{path}: key experiment.platform names {experiment.experiment.platform!r}, "
            f"but {platform_path} does not exist (known: {known})."
        )
    platform = load_platform(platform_path)
    try:
        profile = build_profile(experiment.load, base_dir=path.parent)
        strategy = None if experiment.strategy.name == "none" else load_strategy(experiment.strategy, conf_dir)
    except ConfigError as e:
        raise _in_file(path, e) from None
    check_steps(path, experiment, platform, conf_dir)
    return PreparedExperiment(path, experiment, platform, profile, strategy)
