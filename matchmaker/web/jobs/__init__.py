"""Pages of background jobs: the list of recent jobs and the small JSON each progress bar polls."""
