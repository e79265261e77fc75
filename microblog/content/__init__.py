"""The content pipeline: Jekyll files in, Post rows out. Knows no request."""
