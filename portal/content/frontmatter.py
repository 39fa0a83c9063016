"""YAML in content files: the front matter of an article, read fast, and a bad one explained in
plain words with the line to fix (docs/content-format.md)."""

from __future__ import annotations

import re
from typing import Any

import yaml

FastLoader = getattr(yaml, "CSafeLoader", None)


class ContentError(Exception):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


def load_yaml(text: str) -> Any:
    """YAML with libyaml's parser when present (4x faster); a document it rejects is parsed
    again by PyYAML's own, whose messages (with line numbers) editors see."""
    if FastLoader is not None:
        try:
            return yaml.load(text, Loader=FastLoader)
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


def split_front_matter(text: str) -> tuple[dict[str, Any], str, int]:
    """Return (metadata, body, line where the body starts); raise ContentError on bad YAML."""
    text = text.lstrip("\ufeff")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ContentError("no front matter: the file must start with a '---' line and a title", 1)
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            break
    else:
        raise ContentError("front matter is not closed by a '---' line", 1)
    try:
        meta = load_yaml("\n".join(lines[1:index])) or {}
    except yaml.YAMLError as error:
        message, line = explain_yaml_error(error, lines[1:index])
        raise ContentError(f"the front matter cannot be read: {message}", line + 1) from None
    if not isinstance(meta, dict):
        raise ContentError("front matter must be a set of 'key: value' lines", 2)
    return meta, "\n".join(lines[index + 1 :]), index + 2


def explain_yaml_error(error: yaml.YAMLError, lines: list[str]) -> tuple[str, int]:
    """What is wrong, in plain words, and the 1-based line (of `lines`) where to fix it."""
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else 1
    problem = getattr(error, "problem", None) or str(error)
    context_mark = getattr(error, "context_mark", None)

    def previous_key_line(before: int) -> int:
        for number in range(min(before, len(lines)) - 1, 0, -1):
            text = lines[number - 1].strip()
            if text and not text.startswith("#"):
                return number
        return before

    if "block sequence start" in problem or "block mapping start" in problem:
        above = previous_key_line(line)
        return ("a list item or an indented line where none can go: the line above already has a value "
                "(for a list, write the key alone, like 'questions:', and the items below it as "
                "'  - ...'; delete a '[]')" if "sequence" in problem else
                "this line is indented more than the line above: indent only what belongs under a key",
                above)
    if "mapping values are not allowed" in problem:
        return ("a second ':' on one line: put the text in quotes, like title: \"Refunds: how long?\"",
                line)
    if "'\\t'" in problem or "\\t" in repr(problem):
        return "a tab character: indent with spaces only", line
    if "could not find expected ':'" in problem:
        where = context_mark.line + 1 if context_mark is not None else line
        return "a line that is not 'key: value': add the ':' or remove the line", where
    if "end of stream" in problem and "quoted" in (getattr(error, "context", "") or ""):
        where = context_mark.line + 1 if context_mark is not None else line
        return "a quote that is never closed: end the text with the same quote mark", where
    if "expected ','" in problem or "flow" in (getattr(error, "context", "") or ""):
        where = context_mark.line + 1 if context_mark is not None else line
        return ("a list in [ ] or a set in { } that is not closed, or has a ':' inside: check the brackets",
                where)
    if "found duplicate" in problem or "duplicate" in problem:
        return "a key written twice: keep one", line
    return f"it is not valid YAML ({problem})", line


def key_line(text: str, key: str) -> int | None:
    match = re.search(rf"^{re.escape(key)}\s*:", text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else None
