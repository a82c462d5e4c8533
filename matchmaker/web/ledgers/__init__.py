"""Pages of the district's instruments and ledgers, and of the history's last verification."""
