"""The editors' area's app: the demo content and one editor account (tests.helpers.PASSWORD)."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD


@pytest.fixture
def app(app_factory):
    app = app_factory()
    result = app.test_cli_runner().invoke(args=["admin", "create-user", "Editor@Shop.example",
                                                "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    return app
