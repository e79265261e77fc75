"""The comments a blog already has, brought in from where they were kept before.

- `records.py`    what every format is read into: threads and their comments
- `safe_xml.py`   XML read with entity expansion, DTDs and external references refused
- `disqus.py`     a Disqus export (XML)
- `wordpress.py`  a WordPress export (WXR 1.0 to 1.2)
- `staticman.py`  Staticman data files (`_data/comments/<post>/<id>.yml|json`)
- `matching.py`   which post a thread belongs to (its URL or identifier, old addresses)
- `storing.py`    the comments stored once each, sanitised, in the caller's transaction

Nothing here commits, and nothing is mailed: an import queues no job.
"""
