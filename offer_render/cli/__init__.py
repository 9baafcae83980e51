"""The ``offer-render`` command line."""
