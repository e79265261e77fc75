"""The Jekyll format, pure: front matter, dates, permalinks, Liquid, kramdown, Markdown,
and which files of a site are what."""
