"""Bank-tracking pages: monthly figures, targets and progress, bulletins, the listing reserve pool."""
