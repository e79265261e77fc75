"""The SECRET_KEY generated into the instance folder: made once, kept, the same for every
process that starts at once (gunicorn's workers on a fresh install), readable by no one else."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

from microblog.config import local_secret_key


def test_processes_starting_together_share_one_kept_key(tmp_path):
    folder = str(tmp_path / "instance")
    with ProcessPoolExecutor(max_workers=6) as pool:
        keys = set(pool.map(local_secret_key, [folder] * 24))
    assert len(keys) == 1
    [key] = keys
    assert len(key) == 64 and local_secret_key(folder) == key
    kept = tmp_path / "instance" / "secret_key"
    assert kept.stat().st_mode & 0o077 == 0
    assert [path.name for path in kept.parent.iterdir()] == ["secret_key"]
