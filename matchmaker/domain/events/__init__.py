"""Matchmaking events (银企对接活动): organising an event, invitations, the event day's check-in and walk-ins, intentions that become leads, and the event report with follow-ups."""
