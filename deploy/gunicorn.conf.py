"""gunicorn settings for production (`gunicorn -c deploy/gunicorn.conf.py app:server`), behind nginx.

nginx (deploy/nginx/) is the buffering front: it reads a whole request, however slowly a client
sends it, before a gunicorn thread sees it, so slow clients cannot hold the threads.
"""
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8050')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("THREADS", "4"))
worker_class = "gthread"
preload_app = True  # load (and validate) the data package once, before forking: a bad package stops start-up with its problem list
timeout = 30  # a worker silent this long is restarted
graceful_timeout = 20
keepalive = 5  # seconds; nginx's upstream keepalive_timeout (4 s) is shorter, so nginx never reuses a connection gunicorn is closing
limit_request_line = 8190  # bytes: longer query strings get 414
limit_request_fields = 60
limit_request_field_size = 8190
accesslog = "-"
errorlog = "-"
