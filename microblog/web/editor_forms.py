"""The editor's form (Flask-WTF, so every POST carries the session's CSRF token).

The form only checks what a field alone can tell (required, lengths, a date that exists, a
permalink that is a path); whether a permalink is free is for the writer of posts to say.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from microblog.jekyll import dates, permalinks
from microblog.models.ids import parse_id
from microblog.timeutil import local_to_utc

MAX_TITLE = 500
MAX_TAG = 200
MAX_TAGS = 100
MAX_PERMALINK = 1000


def split_tags(raw: str) -> list[str]:
    """Comma-separated tag names as written, spaces tidied, empties and repeats dropped."""
    names: list[str] = []
    for part in raw.split(","):
        name = " ".join(part.split())
        if name and name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    return names


def parse_local_datetime(raw: str, zone: tzinfo) -> datetime:
    """An ISO 8601 date-time (a datetime-local field's value, or with an offset) in UTC.

    Without an offset it is wall-clock time in the author's TIMEZONE: a time the clocks skip
    is refused (ValueError saying so), a time they pass twice is the first of the two.
    ValueError says why it is not a date.
    """
    text = raw.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date and time that exists (write it as 2025-09-30T14:05)"
        ) from None
    if value.tzinfo is None:
        try:
            value = local_to_utc(value, zone)
        except OverflowError:
            pass  # to_utc says which years a post may carry
    return dates.to_utc(value, zone)


def check_permalink(raw: str) -> str:
    """The permalink as a site path; ValueError for a URL, `..`, `?`, `#` or a reserved path."""
    text = raw.strip()
    if permalinks.ABSOLUTE_URL.match(text):
        raise ValueError("write the path only (like /posts/my-post/), not a full URL")
    if ".." in text or "\\" in text:
        raise ValueError("a permalink cannot contain '..' or backslashes")
    if any(ord(ch) < 32 or ch.isspace() for ch in text):
        raise ValueError("a permalink cannot contain spaces or control characters")
    try:
        path = permalinks.sanitize(text if text.startswith("/") else "/" + text)
    except permalinks.PermalinkError as exc:
        raise ValueError(str(exc)) from None
    try:
        permalinks.check_reserved(path)  # the writer's one list
        permalinks.check_reserved(text if text.startswith("/") else "/" + text)
    except permalinks.PermalinkError as exc:
        raise ValueError(f"{exc}: choose another") from None
    return path


class PostForm(FlaskForm):
    """Title, body, tags, permalink, date, draft, and the version the form was served with."""

    title = StringField(
        "Title",
        validators=[
            Optional(),
            Length(max=MAX_TITLE, message="At most 500 characters."),
        ],
        description="Leave empty for a note: its address comes from its date and time.",
    )
    body = TextAreaField(
        "Body",
        validators=[DataRequired(message="Write something: the body cannot be empty.")],
        description="Markdown. Your own HTML is kept as written.",
    )
    tags = StringField("Tags", description="Separated by commas: Generative AI, notes")
    categories = StringField(
        "Categories",
        description="Separated by commas, as Jekyll's categories: (they may shape the address).",
    )
    permalink = StringField(
        "Permalink",
        validators=[Optional(), Length(max=MAX_PERMALINK)],
        description="Optional: a path like /posts/2025/09/my-post/. Empty: made from the date "
        "and title.",
    )
    published_at = StringField(
        "Published",
        validators=[Optional()],
        description="Optional: date and time in the blog's time zone. Later than now: scheduled.",
    )
    draft = BooleanField("Draft (not shown on the site)")
    version = HiddenField()

    def validate_tags(self, field: StringField) -> None:
        """No more than 100 tags of 200 characters each."""
        names = split_tags(field.data or "")
        if len(names) > MAX_TAGS:
            raise ValidationError(f"At most {MAX_TAGS} tags.")
        for name in names:
            if len(name) > MAX_TAG:
                raise ValidationError(f"The tag {name[:30]!r}… is over {MAX_TAG} characters.")

    def validate_categories(self, field: StringField) -> None:
        """No more than 100 categories of 200 characters each."""
        self.validate_tags(field)

    def validate_permalink(self, field: StringField) -> None:
        """A path on this site."""
        if field.data and field.data.strip():
            try:
                check_permalink(field.data)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None

    def validate_version(self, field: HiddenField) -> None:
        """A whole number when given (an edit sends it; a new post does not)."""
        if field.data and parse_id(field.data, 10**11) is None:  # `²` passes isdigit()
            raise ValidationError("The form's version is damaged; reload the page.")

    def published_in(self, zone: tzinfo) -> datetime | None:
        """The date asked for, in UTC; None when empty. ValueError for one that cannot be."""
        raw = (self.published_at.data or "").strip()
        return parse_local_datetime(raw, zone) if raw else None

    def check_date(self, zone: tzinfo) -> bool:
        """Validate the date against the zone (WTForms validators cannot see it)."""
        try:
            self.published_in(zone)
        except ValueError as exc:
            self.published_at.errors = [*self.published_at.errors, str(exc)]
            return False
        return True
