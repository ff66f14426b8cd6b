"""Central's browser pages: reviewers' inbox and case pages, supervision, user admin, USB, and the
public progress page."""
