"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi`."""

from microblog import create_app

app = create_app()
