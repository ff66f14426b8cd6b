"""What the staff pages of both apps share (Flask): htmx rendering and the way to the log-in page,
sessions whose idle time only people renew, and how times, labels and refusals are shown.

``sync/`` stays free of Flask; the two apps import this package and never each other.
"""
