"""Which reader a file needs: Disqus and WordPress exports are XML, told apart by their root;
folders and `.yml`/`.yaml`/`.json` files are Staticman data."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from microblog.comments.imports.disqus import is_disqus, read_disqus
from microblog.comments.imports.records import ImportFileError, SourceExport
from microblog.comments.imports.safe_xml import local_name, read_xml
from microblog.comments.imports.staticman import SUFFIXES, read_staticman
from microblog.comments.imports.wordpress import is_wxr, read_wxr


def read_exports(paths: Iterable[Path]) -> list[SourceExport]:
    """Every named file read, before anything is stored; ImportFileError names the first
    file that is no comment export at all (nothing is imported then)."""
    exports: list[SourceExport] = []
    staticman: list[Path] = []
    for path in paths:
        if path.is_dir() or path.suffix.lower() in SUFFIXES:
            staticman.append(path)
            continue
        root = read_xml(path)
        if is_disqus(root):
            exports.append(read_disqus(root, path))
        elif is_wxr(root):
            exports.append(read_wxr(root, path))
        else:
            raise ImportFileError(
                f"{path}: XML, but neither a Disqus export nor a WordPress export"
                f" (its root element is <{local_name(root)}>)"
            )
    if staticman:
        found = read_staticman(staticman)
        if not found.comments and not found.notes:
            raise ImportFileError(
                f"{', '.join(map(str, staticman))}: no Staticman comment files"
                " (_data/comments/<post>/<id>.yml) found"
            )
        exports.append(found)
    return exports
