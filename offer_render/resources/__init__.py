"""Take a validated template and its merged texts; fetch and decode fonts and the background."""
