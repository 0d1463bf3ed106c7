"""Print jobs: labels queued with the outcome they label, sent by the bench's spooler."""
