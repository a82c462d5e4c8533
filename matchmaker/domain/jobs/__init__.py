"""Background jobs (后台任务): the job record (state, progress, result, error), progress written in its own
short transactions, who may see which job, and the expiry of jobs nobody ran. The queue itself (Huey) is in
matchmaker/queue.py; the work of each kind lives in its own room (e.g. whitelists/import_jobs.py)."""
