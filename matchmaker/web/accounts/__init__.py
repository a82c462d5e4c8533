"""Sign in and out, enterprise registration, and the account forms."""
