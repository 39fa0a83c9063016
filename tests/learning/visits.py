"""Visits and proposals for the learning tests: a visitor's search, browse and vote."""

from __future__ import annotations

import json

PHRASE = "flibbertigibbet wombat"
ARTICLE = "/en/delivery/track-your-order"
ARTICLE_ID = "delivery/track-your-order"
WRONG = "/en/returns/return-an-item"
WRONG_ID = "returns/return-an-item"



def visit(app, phrase=PHRASE, path=ARTICLE, article_id=ARTICLE_ID, client=None, helpful="yes", headers=None):
    """Search, browse to an article (not from the results), vote; returns the browser."""
    client = client or app.test_client()
    client.get("/en/search", query_string={"q": phrase}, headers=headers)
    client.get(path, headers=headers)
    if helpful:
        client.post("/en/feedback", data={"article": article_id, "helpful": helpful}, headers=headers)
    return client


def proposals(app, *args):
    assert app.extensions["analytics"].flush()
    result = app.test_cli_runner().invoke(args=["learn", "list", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)
