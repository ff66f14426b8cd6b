"""Casework at the window: registering and deciding cases, village agency, results and petitions,
scans, and the one write path of the case log (``case_log``)."""
