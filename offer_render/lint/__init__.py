"""Lint templates: take a template and sample offers; return findings about risky templates.

``run.lint_template`` renders the template for the samples and for worst-case
data (``worstcase``), and runs the checks of ``checks`` (contrast measured by
``contrast``); ``findings`` defines what it returns.
"""

from offer_render.lint.findings import Finding
from offer_render.lint.run import lint_template

__all__ = ["Finding", "lint_template"]
