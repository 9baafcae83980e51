"""Re-export :func:`offer_render.files.write_atomic` for the command-line modules."""

from offer_render.files import write_atomic

__all__ = ["write_atomic"]
