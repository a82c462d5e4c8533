"""Pages after the banks: referrals, the first-loan board and ratings."""
