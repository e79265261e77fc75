"""An unexpected error: the reader gets the friendly 500 page, the server's log the traceback."""

from __future__ import annotations

import logging

import pytest
from error_app import FAILING_PATH, FAILURE_MESSAGE, add_failing_route
from servers import PROJECT_ROOT, GunicornSettings, gunicorn_server, http_get


def test_a_failing_view_shows_the_friendly_page_and_logs_the_traceback(make_app, caplog):
    app = add_failing_route(make_app())
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get(FAILING_PATH)
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "<h1>" in html and "Traceback" not in html and FAILURE_MESSAGE not in html
    assert f"Exception on {FAILING_PATH} [GET]" in caplog.text
    assert "Traceback" in caplog.text and FAILURE_MESSAGE in caplog.text


@pytest.mark.parametrize("settings", [GunicornSettings(workers=1, threads=2)])
def test_under_gunicorn_the_traceback_reaches_its_error_log(database_url, tmp_path, settings):
    env = {"DATABASE_URL": database_url, "SECRET_KEY": "errors-secret"}
    with gunicorn_server(
        "error_app:app",
        env=env,
        settings=settings,
        pythonpath=PROJECT_ROOT / "tests",
        log_dir=tmp_path,
    ) as server:
        status, _, body = http_get(server.url(FAILING_PATH))
        page = body.decode()
        assert status == 500
        assert "Traceback" not in page and FAILURE_MESSAGE not in page
        log_text = server.log()
    assert f"Exception on {FAILING_PATH} [GET]" in log_text, log_text
    assert "Traceback" in log_text and FAILURE_MESSAGE in log_text, log_text
