"""Adversarial tests (issue 6): one test per bad input, each bounded in time and leaving no file."""
