"""What central decides and publishes: decisions, the case record, the public progress, the feed,
and the residents' notifications."""
