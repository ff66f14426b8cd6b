"""What the staff pages of both apps share (Flask): htmx rendering and the way to the log-in page,
the password policy and the log-in lockout, `login_required` and the permission check over each
app's role table, sessions that people renew and log-out ends, the error pages, the security
headers and the Host check, and how times, labels and refusals are shown.

``sync/`` stays free of Flask; the two apps import this package and never each other.
"""
