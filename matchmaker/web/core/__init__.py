"""Settings pages of shared rules: the district's working-day table."""
