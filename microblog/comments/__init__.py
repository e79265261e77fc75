"""A reader's words, from the form to the page, in rooms of their own.

- `tokens.py`   the comment form's signed token (so the post page stays the same for all)
- `rules.py`    the intake settings and field limits; whether a post takes comments
- `intake.py`   a submission cleaned, validated and stored once (`receive`)
- `spam.py`     the signals that file a comment as spam or hold it, and its first status
- `status.py`   moderation: one transitions table and `apply(comment, action, by)`
- `threads.py`  the queries a page needs: approved threads, a reader's own pending ones

Who commits: nothing in this package commits or rolls back. Every function does its work in
the caller's session (adding, changing, flushing, `SiteState.bump()`), and the caller (a
view, a CLI command, a job) commits once when its unit of work is done. So what belongs to
the same change (a job queued at intake, a row lock taken before a status change) commits
with it or not at all. Nothing here reads a request or imports a view or the cache.
"""
