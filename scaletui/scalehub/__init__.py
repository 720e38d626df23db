"""Import a Scalehub INI (platforms, experiment, scaling schedule) into scaletui's conf/ TOML files."""

from scaletui.scalehub.importer import ImportPlan, PlannedFile, import_scalehub, plan_import, write_plan
from scaletui.scalehub.ini import UnmappedKey

__all__ = ["ImportPlan", "PlannedFile", "UnmappedKey", "import_scalehub", "plan_import", "write_plan"]
