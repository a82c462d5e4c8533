"""Accounts: password hashing, sign-in, enterprise self-registration and the accounts the district and bank admins make."""
