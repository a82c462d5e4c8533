"""The notification centre and each user's delivery preferences."""
