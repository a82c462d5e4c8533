"""Business rules as plain Python: functions that take a SQLAlchemy session and values. No Flask, no CLI and no
demo data here. One package per capability: `requests` (filing, routing, leads, the sweep), `outcomes` (referrals,
first loans, ratings), `firms`, `whitelists`, `events`, `banks` (monthly figures, targets, bulletins), `accounts`,
`notify` and `core` (errors, money, settings, working days, visibility, reference data)."""
