"""Read models built from the notification log (issue 3): SLA, audit trail, breaches, mandates."""
