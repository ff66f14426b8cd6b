"""The desktop window around the local server: one instance per PC, the local server on a free
loopback port, pywebview (or the system browser)."""
