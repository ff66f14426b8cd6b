"""USB sticks at central: imports through the same ingest, followed by the admin's page."""
