"""Business rules as plain Python: functions that take a SQLAlchemy session and values. No Flask here."""
