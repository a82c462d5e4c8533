"""Notifications: the in-app notices each event writes to exactly the people concerned, and the outbox of e-mail and SMS sent later outside any request."""
