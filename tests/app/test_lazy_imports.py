"""Start-up: building the app (every CLI command, every worker boot) does not import what
only a rare path needs. mf2py brings BeautifulSoup, html5lib and requests (~0.2 s): it is
imported when a Webmention or an IndieAuth client page is read, not before."""

from __future__ import annotations

import subprocess
import sys

from servers import PROJECT_ROOT, app_environment

LAZY = ("mf2py", "bs4", "html5lib", "requests")


def test_building_the_app_leaves_the_rare_libraries_unimported(tmp_path):
    env = app_environment(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'lazy.sqlite'}", "SECRET_KEY": "lazy"}
    )
    check = f"import sys, wsgi; print(sorted(set({LAZY!r}) & set(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
