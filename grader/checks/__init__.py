"""Check kinds. Importing this package registers every kind module in it."""

import importlib
import pkgutil

from grader.checks.base import KINDS, CheckKind, GradeContext, Plan, ProbeOutput, register

# Each module registers its kinds with @register; adding a kind = adding a module.
for _info in pkgutil.iter_modules(__path__):
    if _info.name != "base":
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["KINDS", "CheckKind", "GradeContext", "Plan", "ProbeOutput", "register"]
