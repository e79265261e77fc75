"""ActivityPub: the blog's author as a fediverse actor that people follow.

- `signatures.py` HTTP Signatures (draft-cavage, rsa-sha256, Digest): pure
- `keys.py`       the actor's RSA key pair, kept in the database, rotated by command
- `documents.py`  what others read: WebFinger, NodeInfo, the actor, posts as objects
- `remote.py`     remote actors (their keys and inboxes), fetched through the guarded fetch
- `inbox.py`      what arrives: Follow, Undo, Create/Update/Delete of replies, Like, Announce
- `delivery.py`   what goes out: Accept, posts' Create/Update/Delete, the author's replies,
                  signed, one job per inbox, queued in the writer's transaction
- `followers.py`  the author's follower list: remove, block an actor or a domain

Nothing here commits (the view, the command or the job does) and nothing reads a request.
"""
