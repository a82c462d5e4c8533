"""The enterprise's own pages: start page and firm profile."""
