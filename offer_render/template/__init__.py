"""Take template and offer JSON; return validated, frozen models (see models and validate)."""
