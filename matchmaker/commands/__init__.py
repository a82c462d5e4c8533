"""Feature commands of the `matchmaker` CLI. Each module here exposes COMMANDS, a list of click commands;
list the module in FEATURE_MODULES so that cli.py registers them."""
FEATURE_MODULES: list[str] = ["clocks", "reports", "whitelists", "events", "notify", "backup", "serve", "tokens", "jobs", "audit"]
