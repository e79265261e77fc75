"""`flask jobs …`: what waits in the background queue, and running it."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


@click.group("jobs", cls=AppGroup, invoke_without_command=True)
@click.pass_context
@with_appcontext
def jobs_cli(ctx: click.Context) -> None:
    """What waits in the background queue (mail, pings): `flask jobs`; run it: `run --once`."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(jobs_status)


@jobs_cli.command("status")
def jobs_status() -> None:
    """Counts by kind and state, the oldest waiting job, the last errors."""
    from microblog import jobs

    found = jobs.report()
    states = ["waiting", "running", "done", "failed"]
    if not found.counts:
        click.echo("The queue is empty.")
    else:
        width = max(len(kind) for kind in found.counts) + 2
        click.echo("kind".ljust(width) + "".join(state.rjust(9) for state in states))
        for kind, counts in sorted(found.counts.items()):
            numbers = "".join(str(counts.get(state, 0)).rjust(9) for state in states)
            click.echo(kind.ljust(width) + numbers)
    oldest = found.oldest_waiting
    if oldest is not None:
        retry = (
            f", attempt {oldest.attempts + 1} of {oldest.max_attempts}" if oldest.attempts else ""
        )
        click.echo(
            f"oldest waiting: job {oldest.id} {oldest.kind}, queued {_when(oldest.created_at)},"
            f" due {_when(oldest.due_at)}{retry}"
        )
    if found.errors:
        click.echo("last errors:")
        for job in found.errors:
            click.echo(
                f"  job {job.id} {job.kind} ({job.state.value}, {job.attempts} attempts):"
                f" {job.last_error}"
            )


@jobs_cli.command("run")
@click.option("--once", is_flag=True, required=True, help="Run what is due now, then exit.")
def jobs_run(once: bool) -> None:
    """Run the jobs due now and exit (non-zero when one failed)."""
    from microblog import jobs

    ran = jobs.run_due(current_app._get_current_object())  # type: ignore[attr-defined]
    for job in ran:
        click.echo(f"job {job.id} {job.kind}: {'done' if job.ok else 'failed (see flask jobs)'}")
    failed = sum(1 for job in ran if not job.ok)
    click.echo(f"{len(ran)} jobs run, {failed} failed")
    if failed:
        click.get_current_context().exit(1)


@jobs_cli.command("worker")
def jobs_worker() -> None:
    """Run jobs until stopped (Ctrl-C, SIGTERM): for a site that runs them apart from the web
    processes (then set JOBS_RUNNER=0 for those)."""
    import signal

    from microblog.jobs.runner import Runner

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    runner = Runner(app)

    def stop(*_args: object) -> None:
        runner.stopping.set()
        runner.wake.set()

    signal.signal(signal.SIGTERM, stop)
    click.echo("running jobs; Ctrl-C stops")
    try:
        runner.loop()
    except KeyboardInterrupt:
        pass


@jobs_cli.command("retry")
def jobs_retry() -> None:
    """Put every failed job back in the queue with a fresh set of attempts."""
    from microblog import jobs

    click.echo(f"{jobs.retry_failed()} failed jobs queued again")
