"""The district's own money: its instruments (guarantee company, bridge-loan platforms, industry funds, 投保贷,
loan risk compensation) and their append-only ledgers — entries, capacity checks, the district's figures."""
