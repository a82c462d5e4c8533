"""Matchmaking event pages: planning and invitations, the event day (check-in, intentions) and the report with follow-ups."""
