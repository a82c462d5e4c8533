"""gunicorn settings for matchmaker (`matchmaker serve` uses this file; or
`gunicorn -c gunicorn.conf.py`). Every value can be set from the environment; the command line wins over both."""
import multiprocessing
import os

wsgi_app = "matchmaker:create_app()"
bind = os.environ.get("MATCHMAKER_BIND", "127.0.0.1:8000")

# Threads suit a database-bound app; workers from cores, as gunicorn's docs advise.
worker_class = "gthread"
workers = int(os.environ.get("MATCHMAKER_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("MATCHMAKER_THREADS", "4"))

# Uploads (white lists, monthly figures: up to 32 MB) on slow links: give a request two minutes, then restart the
# worker; keep idle keep-alive connections briefly so they do not hold threads.
timeout = int(os.environ.get("MATCHMAKER_WORKER_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
limit_request_line = 8190

# A worker's memory grows with large imports: recycle workers now and then (jitter so they do not all restart).
max_requests = int(os.environ.get("MATCHMAKER_MAX_REQUESTS", "2000"))
max_requests_jitter = 200

# Access log with the serving worker's pid; "-" is standard output (systemd's journal).
accesslog = os.environ.get("MATCHMAKER_ACCESS_LOG", "-")
errorlog = os.environ.get("MATCHMAKER_ERROR_LOG", "-")
loglevel = os.environ.get("MATCHMAKER_LOG_LEVEL", "info")
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms pid=%(p)s'

# Behind a reverse proxy on the same machine (nginx): trust its X-Forwarded-* headers only.
forwarded_allow_ips = os.environ.get("MATCHMAKER_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Each worker opens its own database pool: never share connections across fork.
preload_app = False

# No runtime control socket (gunicorn ≥ 24): one fixed path per user would clash between instances.
control_socket_disable = True


def post_worker_init(worker):
    """Compile the templates in the background as the worker starts serving (see matchmaker.web.compile_templates):
    the worker answers at once; its first views no longer compile their pages."""
    import threading

    from matchmaker.web import compile_templates

    app = worker.wsgi
    if hasattr(app, "jinja_env"):
        threading.Thread(target=compile_templates, args=(app,), name="compile-templates", daemon=True).start()
