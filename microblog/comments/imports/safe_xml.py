"""XML from outside, read safely: no entity expansion, no DTD, nothing fetched.

A comment export never needs an entity declaration; one is how a "billion laughs" file
grows a few kilobytes into gigabytes, or how an external entity reads a local file. defusedxml
refuses both before anything expands.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import parse

from microblog.comments.imports.records import ImportFileError


def read_xml(path: Path) -> Element:
    """The root element of the XML file at `path`; ImportFileError saying why it cannot be."""
    try:
        tree = parse(str(path), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise ImportFileError(
            f"{path}: refused: the file declares a DTD or XML entities ({error}); a comment"
            " export never needs them, and they can expand a small file into gigabytes"
        ) from None
    except ParseError as error:
        raise ImportFileError(f"{path}: not XML ({error})") from None
    except OSError as error:
        raise ImportFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    root = tree.getroot()
    if root is None:
        raise ImportFileError(f"{path}: an XML file without a root element")
    return root


def local_name(element: Element) -> str:
    """An element's name without its namespace (`{http://disqus.com}post` → `post`)."""
    return element.tag.rpartition("}")[2] if isinstance(element.tag, str) else ""


def child(element: Element, name: str) -> Element | None:
    """The first child named `name` in any namespace."""
    for found in element:
        if local_name(found) == name:
            return found
    return None


def text_of(element: Element, name: str) -> str:
    """The text of the first child named `name` (any namespace), or ''."""
    found = child(element, name)
    return (found.text or "").strip() if found is not None else ""


def attribute(element: Element | None, name: str) -> str:
    """An attribute by its local name in any namespace (`dsq:id` → `id`)."""
    if element is None:
        return ""
    for key, value in element.attrib.items():
        if key.rpartition("}")[2] == name:
            return value
    return ""
