"""Check kinds. Importing this package registers every kind in `KINDS`."""

from .base import KINDS, CheckKind, GradeContext, Plan, ProbeOutput, register  # noqa: F401
from . import calls, metric, quiz  # noqa: F401  (registration side effects)

__all__ = ["KINDS", "CheckKind", "GradeContext", "Plan", "ProbeOutput", "register"]
