"""What an import says: one result per file (and per removed post), then a summary line."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

# The summary always names these five; `conflict` and `removed` only when there are some.
STATUSES = ("imported", "updated", "unchanged", "skipped", "failed")
REFUSALS = ("failed", "conflict", "skipped")
NAMED_FILES = 10  # files named per kind of refusal in the closing lines
# What makes one refusal's reason differ from another of its kind: a path, a quoted value,
# a number (`permalink /a/ is already the address of x.md` → `permalink … is … of …`).
PARTICULARS = re.compile(
    r"""(?<!\w)'[^']*'|"[^"]*"|[^\s;,()]*/[^\s;,()]*|0x[0-9a-f]+|(?<![\w-])\d+(?:\.\d+)?\b"""
)


def kind_of(reason: str) -> str:
    """A refusal's reason with its particulars left out, naming its kind."""
    return PARTICULARS.sub("…", reason) if reason else "no reason given"


OCCASIONAL = ("conflict", "removed")


@dataclass
class FileResult:
    """What became of one file."""

    path: str
    status: str
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    permalink: str | None = None

    def lines(self) -> list[str]:
        """The report: `status: file[: why]`, then one `warning: file: …` line per warning."""
        head = f"{self.status}: {self.path}" + (f": {self.reason}" if self.reason else "")
        return [head] + [f"warning: {self.path}: {w}" for w in self.warnings]


@dataclass
class ImportReport:
    """Every file's result, notes for the author, and how long the whole import took."""

    results: list[FileResult] = field(default_factory=list)
    # A whole site's pages (about.md, 404.md…): reported like posts, counted apart.
    pages: list[FileResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def counts(self) -> Counter[str]:
        """How many files ended in each status."""
        return Counter(result.status for result in self.results)

    @property
    def failed(self) -> bool:
        """Whether any file (post or page) failed."""
        return self.counts["failed"] > 0 or any(page.status == "failed" for page in self.pages)

    def summary(self) -> str:
        """One line with the counts, the time and the rate."""
        counts = self.counts
        shown = list(STATUSES) + [status for status in OCCASIONAL if counts[status]]
        done = ", ".join(f"{counts[status]} {status}" for status in shown)
        posts = counts["imported"] + counts["updated"] + counts["unchanged"]
        files = len(self.results) - counts["removed"]
        rate = posts / self.seconds if self.seconds > 0 else 0.0
        line = f"{done} ({files} files in {self.seconds:.2f} s, {rate:.0f} posts/s)"
        return line + (" — dry run, nothing was changed" if self.dry_run else "")

    def refusals(self) -> list[str]:
        """Each kind of refusal once, with its count and the files behind it, most first:
        `failed (3): <reason, particulars left out>: a.md, b.md, c.md` (each file's own
        line above says the particulars)."""
        kinds: dict[tuple[str, str], list[str]] = defaultdict(list)
        for result in self.results:
            if result.status in REFUSALS:
                kinds[(result.status, kind_of(result.reason))].append(result.path)
        lines = []
        for (status, reason), paths in sorted(kinds.items(), key=lambda kind: -len(kind[1])):
            named = ", ".join(paths[:NAMED_FILES])
            more = f" and {len(paths) - NAMED_FILES} more" if len(paths) > NAMED_FILES else ""
            lines.append(f"{status} ({len(paths)}): {reason}: {named}{more}")
        return lines
