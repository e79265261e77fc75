"""The blog on the open web: WebSub pings, Webmention (receive, verify, send), and the
SSRF-guarded fetch they use. Runs from jobs; knows no request."""
