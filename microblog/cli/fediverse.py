"""`flask fediverse …`: the blog's fediverse actor."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from microblog.extensions import db

fediverse_cli = AppGroup("fediverse", help="The blog's ActivityPub actor and its followers.")


@fediverse_cli.command("rotate-key")
def rotate_key() -> None:
    """Make the actor a new key pair and send its followers an Update of the actor."""
    from microblog.fediverse import delivery, keys

    keys.rotate()
    delivery.queue_actor_update()
    db.session.commit()
    click.echo("the actor has a new key; its followers' servers are being told (flask jobs)")


@fediverse_cli.command("followers")
def followers() -> None:
    """List the followers (handle, actor URL, whether accepted)."""
    from microblog.fediverse.followers import listing

    rows = listing()
    for row in rows:
        state = "accepted" if row.accepted else "waiting"
        click.echo(f"{row.handle}\t{row.actor_url}\t{state}")
    click.echo(f"{len(rows)} follower(s)")
