"""The browser check: render the fidelity samples with the engine and with headless Chromium."""
