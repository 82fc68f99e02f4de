"""matcher: placement-matching optimizer for the 特培计划 (Inner Mongolia)."""

__version__ = "0.1.0"
