"""What the content announces to whoever follows it, so no one reaches into its callers.

`content_reloaded` is sent (sender: the app) when preview has loaded the content folder again,
with `content` (the new ContentRepository) and `text_changed` (whether articles, synonyms or
site.yml changed: what a search index is built from). Search subscribes in its init_app.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()
content_reloaded = _signals.signal("content-reloaded")
