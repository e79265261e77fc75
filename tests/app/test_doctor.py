"""`flask doctor`: a sound configuration passes; each broken setting is named with what to
do, and the exit status says whether anything is wrong."""

from __future__ import annotations

import os

import pytest
from servers import free_port

GOOD = {
    "SITE_URL": "https://blog.example.org",
    "SECRET_KEY": "a" * 64,
    "TIMEZONE": "Europe/Paris",
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
}


def doctor(app, *args: str):
    return app.test_cli_runner().invoke(args=["doctor", *args])


def lines_about(output: str, word: str) -> list[str]:
    return [line for line in output.splitlines() if word in line]


def test_a_sound_configuration_passes(make_app, smtp, tmp_path):
    app = make_app(
        **GOOD, MEDIA_FOLDER=str(tmp_path / "media"), MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port
    )
    result = doctor(app, "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "PROBLEM" not in result.output
    assert f"mail server 127.0.0.1:{smtp.port} answers" in result.output
    assert "0 problems found" in result.output
    assert smtp.messages == []  # the probe sends nothing


@pytest.mark.parametrize(
    ("setting", "value", "named", "fix"),
    [
        ("SITE_URL", "blog.example.org", "SITE_URL", "https://"),
        ("SITE_URL", "http://blog.example.org", "plain http", "#tls"),
        ("SITE_URL", "https://blog.example.org/blog/", "path", "root"),
        ("SECRET_KEY", "dev", "SECRET_KEY", "token_hex"),
        ("TIMEZONE", "Mars/Olympus_Mons", "TIMEZONE", "Europe/Paris"),
    ],
)
def test_a_bad_setting_is_named_with_its_fix(make_app, tmp_path, setting, value, named, fix):
    app = make_app(**{**GOOD, setting: value}, MEDIA_FOLDER=str(tmp_path / "media"))
    result = doctor(app, "--workers", "1")
    assert result.exit_code == 1
    problems = lines_about(result.output, "PROBLEM")
    assert len(problems) == 1 and named in problems[0], result.output
    after = result.output.splitlines()[result.output.splitlines().index(problems[0]) + 1]
    assert after.strip().startswith("->") and fix in after


def test_an_unreachable_mail_server_is_a_problem(make_app, tmp_path):
    port = free_port()  # nothing listens there
    app = make_app(
        **GOOD, MEDIA_FOLDER=str(tmp_path / "m"), MAIL_SERVER="127.0.0.1", MAIL_PORT=port
    )
    result = doctor(app, "--workers", "1")
    assert result.exit_code == 1
    assert lines_about(result.output, "PROBLEM") == [
        line for line in result.output.splitlines() if f"cannot reach 127.0.0.1:{port}" in line
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_media_folder_the_app_cannot_write_is_a_problem(make_app, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    app = make_app(**GOOD, MEDIA_FOLDER=str(locked / "media"))
    result = doctor(app, "--workers", "1")
    assert result.exit_code == 1 and "MEDIA_FOLDER" in lines_about(result.output, "PROBLEM")[0]


def test_a_media_folder_that_is_a_file_is_a_problem(make_app, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    app = make_app(**GOOD, MEDIA_FOLDER=str(tmp_path / "a-file"))
    result = doctor(app, "--workers", "1")
    assert result.exit_code == 1 and "MEDIA_FOLDER" in lines_about(result.output, "PROBLEM")[0]


def test_per_process_rate_limits_with_several_workers_are_a_problem(make_app, tmp_path):
    app = make_app(**GOOD, MEDIA_FOLDER=str(tmp_path / "media"))
    result = doctor(app, "--workers", "3")
    assert result.exit_code == 1
    [line] = lines_about(result.output, "PROBLEM")
    assert "RATELIMIT_STORAGE_URI=memory://" in line and "3 web workers" in line
    assert "redis://" in result.output


def test_a_schema_behind_the_code_says_to_upgrade(make_app, tmp_path):
    app = make_app(**GOOD, MEDIA_FOLDER=str(tmp_path / "media"))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "downgrade"]).exit_code == 0
    try:
        result = doctor(app, "--workers", "1")
        assert result.exit_code == 1
        [line] = lines_about(result.output, "PROBLEM")
        assert "schema" in line and "flask db upgrade" in result.output
    finally:
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
