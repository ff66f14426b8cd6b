"""The device API under /api/v1 (docs/protocol.md section 13): signed requests, enrollment, the
bundle ingest pipeline with the rules central enforces, scans up and down, public progress JSON."""
