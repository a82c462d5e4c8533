"""The open API's rules: bearer tokens (made, checked, revoked), idempotency keys and the incremental-sync cursor.
What a token may see or do is decided by the same domain functions as the pages, acting as the token's account."""
