"""`flask content check`: every checker message, with path, line and severity, on fixture folders."""

from __future__ import annotations

import json

import pytest

from portal.checks import check_site
from portal.content.lint import LOCALE_PAGES
from tests.helpers import DATA, DEMO_CONTENT

BROKEN = DATA / "lint-broken"


@pytest.fixture(scope="module")
def report():
    return check_site(BROKEN)


# (path, line, severity, what the message says)
EXPECTED = [
    # front-matter schema
    ("en/returns/return-an-item.md", 3, "warning", "unknown front-matter key 'colour'"),
    ("en/returns/return-an-item.md", 4, "warning", "'source_hash' belongs in translations"),
    ("en/returns/empty.md", 3, "error", "'description' must be one sentence of text"),
    ("en/returns/empty.md", 4, "warning", "no text below the front matter"),
    ("sv/returns/return-an-item.md", 3, "warning", "source_hash 'not-a-hash' is not 16 hex digits"),
    ("sv/returns/return-an-item.md", 4, "warning", "'translate' is read only in the source (en/)"),
    # links to articles by id and by URL, images, files
    ("en/returns/return-an-item.md", 10, "error",
     "link '../delivery/no-such-article' leads nowhere: there is no article 'delivery/no-such-article'"),
    ("en/returns/return-an-item.md", 12, "error", "image 'missing.png' not found: there is no file "
     "en/returns/missing.png"),
    ("en/returns/return-an-item.md", 13, "error", "link '/en/delivery/nope' leads nowhere"),
    ("en/returns/return-an-item.md", 14, "error", "'guide.pdf' is a file, which a relative link cannot "
     "open: write /media/en/returns/guide.pdf"),
    ("en/returns/return-an-item.md", 14, "error", "there is no category 'nothing' in en/"),
    ("en/returns/return-an-item.md", 15, "error", "'/media/en/returns/gone.png' not found"),
    ("en/delivery/self-loop.md", 5, "warning", "'/old/returns-policy' is an old address of "
     "en/delivery/track-parcel.md: link /en/delivery/track-parcel instead"),
    ("sv/returns/return-an-item.md", 6, "warning", "'/sv/delivery/track-parcel' has no sv version"),
    # drafts linked from published pages, by id and by URL
    ("en/returns/return-an-item.md", 11, "error", "goes to the draft en/delivery/upcoming-changes.md"),
    ("en/returns/return-an-item.md", 13, "error", "link '/en/delivery/upcoming-changes' goes to the draft"),
    # a draft's own broken link only warns: it is work in progress
    ("en/delivery/upcoming-changes.md", 5, "warning", "link '../delivery/the-plan' leads nowhere"),
    # duplicate slugs and ids
    ("en/delivery/wrong-slug.md", 3, "error", "slug 'track-parcel' is already used by "
     "en/delivery/track-parcel.md"),
    ("en/returns/money-back.md", 3, "warning", "slug 'refund-times' is the file name of "
     "en/returns/refund-times.md"),
    ("en/returns/return-an-item.md", 23, "warning", "heading id '#steps' is already used on line 21"),
    # redirect_from collisions
    ("en/returns/return-an-item.md", 6, "error", "redirect_from '/old/returns-policy' is also claimed by "
     "en/delivery/track-parcel.md"),
    ("en/returns/return-an-item.md", 7, "error", "redirect_from '/en/returns' is the live address of the "
     "page /en/returns/"),
    ("en/delivery/self-loop.md", 3, "error", "redirect_from '/en/delivery/self-loop' is this article's own "
     "address"),
    # translations without a source; synonyms and channels files
    ("sv/returns/orphan.md", None, "warning", "translation of 'returns/orphan', which has no source article"),
    ("en/synonyms.txt", 3, "error", "a synonym line needs two or more phrases"),
    ("channels.yml", 2, "error", "the file cannot be read: a list in [ ] or a set in { } that is not "
     "closed"),
]


@pytest.mark.parametrize(("path", "line", "severity", "message"), EXPECTED,
                         ids=[f"{e[0]}:{e[1]}:{e[3][:30]}" for e in EXPECTED])
def test_every_checker_message(report, path, line, severity, message):
    found = [p for p in report.problems if p.path == path and p.line == line and message in p.message]
    assert found, f"not reported: {path}:{line}: {message}\n" + "\n".join(map(str, report.problems))
    assert found[0].severity == severity
    where = f"{path}:{line}" if line else path
    assert str(found[0]).startswith(f"{where}: {severity}: ")


def test_nothing_else_is_reported(report):
    """Good links, images, the category link and code samples raise nothing."""
    unexpected = [str(p) for p in report.problems if not any(
        p.path == path and p.line == line and message in p.message for path, line, _s, message in EXPECTED)]
    assert unexpected == []


def test_problems_come_sorted_by_file_and_line(report):
    keys = [(p.path, p.line or 0) for p in report.problems]
    assert keys == sorted(keys)


def test_demo_content_passes_with_no_warnings():
    report = check_site(DEMO_CONTENT)
    assert [str(p) for p in report.problems] == []


def test_ids_that_differ_only_in_case(content_copy):
    folder = content_copy("good")
    (folder / "en" / "returns" / "Return-An-Item.md").write_text("---\ntitle: Shouting\n---\nHi.\n")
    problems = [p for p in check_site(folder).problems if "upper/lower case" in p.message]
    assert [(p.path, p.severity) for p in problems] == [("en/returns/return-an-item.md", "error")]


def test_synonyms_file_that_is_not_utf8(content_copy):
    folder = content_copy("good")
    (folder / "sv" / "synonyms.txt").write_bytes("paket = försändelse\n".encode("latin-1"))
    problems = [str(p) for p in check_site(folder).problems]
    assert problems == ["sv/synonyms.txt: error: not UTF-8 text: save the file as UTF-8"]


@pytest.mark.parametrize(("text", "expected"), [
    ("phone:\n  hours: '09-17'\n", ["channels.yml:1: warning: unknown key 'phone' is ignored"]),
    ("- phone\n- email\n", ["channels.yml:1: error: must be a set of 'key: value' lines with 'topics:' and "
                           "'channels:'"]),
    ("", ["channels.yml: warning: the file is empty: the contact form alone is offered"]),
    ("phone: [\n", ["channels.yml:2: error: the file cannot be read: a list in [ ] or a set in { } that "
                    "is not closed, or has a ':' inside: check the brackets; the contact form alone is "
                    "offered"]),
])
def test_channels_file_must_parse(content_copy, text, expected):
    folder = content_copy("good")
    (folder / "channels.yml").write_text(text)
    assert [str(p) for p in check_site(folder).problems] == expected


def test_channels_file_is_checked_as_the_contact_page_reads_it(content_copy):
    """Every entry problem the app would log at start, each with its line: not only the YAML."""
    problems = problems_of_one_file(
        content_copy, "channels.yml",
        "topics:\n"
        "  returns:\n"
        "    names: {en: Returns}\n"
        "channels:\n"
        "  chat:\n"
        "    kind: pigeon\n"
        "    languages: [en]\n"
        "  phone:\n"
        "    kind: phone\n"
        "    phone: '+46 8 000'\n"
        "    languages: [en]\n"
        "    timezone: Mars/Olympus\n"
        "    hours: {mon: ['09:00-17:00']}\n")
    assert any(p.startswith("channels.yml:6: error:") and "pigeon" in p for p in problems), problems
    assert any(p.startswith("channels.yml:12: error:") and "Mars/Olympus" in p for p in problems), problems
    assert len(problems) == len(set(problems))


def test_check_command_prints_path_line_and_fails_on_errors(app_factory):
    result = app_factory(BROKEN, SEARCH_BACKEND="null").test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 1
    assert "en/returns/return-an-item.md:10: error: link '../delivery/no-such-article'" in result.output
    errors = sum(1 for e in EXPECTED if e[2] == "error")
    assert result.output.rstrip().endswith(f"{errors} errors, {len(EXPECTED) - errors} warnings")


def test_check_command_json_for_ci(app_factory):
    runner = app_factory(BROKEN, SEARCH_BACKEND="null").test_cli_runner()
    result = runner.invoke(args=["content", "check", "--format", "json"])
    problems = json.loads(result.output)
    assert result.exit_code == 1
    assert {"path": "channels.yml", "line": 2, "severity": "error",
            "message": "the file cannot be read: a list in [ ] or a set in { } that is not closed, or has a "
                       "':' inside: check the brackets; the contact form alone is offered"} in problems
    assert len(problems) == len(check_site(BROKEN).problems)


def test_warnings_alone_do_not_fail_the_check(app_factory, content_copy):
    folder = content_copy("good")
    (folder / "en" / "returns" / "return-an-item.md").write_text("---\ntitle: T\ncolour: red\n---\nText.\n")
    result = app_factory(folder, SEARCH_BACKEND="null").test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "0 errors, 1 warnings" in result.output


# -- every problem of every file, once, in plain words (issue 17) -----------------------------------


def write(folder, relative, text):
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def problems_of_one_file(content_copy, relative, text):
    """The check's problems with one file written into a copy of the good content, as the
    command prints them."""
    folder = content_copy("good")
    write(folder, relative, text)
    return [str(p) for p in check_site(folder).problems if p.path == relative]


def test_a_file_with_three_broken_links_reports_three_lines(content_copy):
    problems = problems_of_one_file(
        content_copy, "en/delivery/three-links.md",
        "---\ntitle: Three links\n---\n"
        "See [one](../delivery/track-parcle).\n"
        "And [two](../returns/no-such-article) and [three](/en/delivery/nope).\n")
    assert problems == [
        "en/delivery/three-links.md:4: error: link '../delivery/track-parcle' leads nowhere: there is no "
        "article 'delivery/track-parcle' in en/",
        "en/delivery/three-links.md:5: error: link '../returns/no-such-article' leads nowhere: there is no "
        "article 'returns/no-such-article' in en/",
        "en/delivery/three-links.md:5: error: link '/en/delivery/nope' leads nowhere: no page has that "
        "address",
    ]


def test_links_to_the_portals_own_pages_are_fine(content_copy):
    problems = problems_of_one_file(
        content_copy, "en/delivery/ask-us.md",
        "---\ntitle: Ask us\n---\nWrite to us at [contact](/en/contact), [search](/en/search?q=parcel) "
        "first, or start [here](/en/). Not [there](/en/contacts).\n")
    assert problems == ["en/delivery/ask-us.md:4: error: link '/en/contacts' leads nowhere: no page has "
                        "that address"]


def test_the_portals_own_pages_are_the_apps_pages_under_a_locale(app_factory):
    # A page added under /<locale>/ must join LOCALE_PAGES, or editors' links to it fail the check.
    rules = {rule.rule for rule in app_factory().url_map.iter_rules() if "GET" in (rule.methods or ())}
    served = {rule.removeprefix("/<locale>/") for rule in rules
              if rule.startswith("/<locale>/") and rule.count("<") == 1 and rule.count("/") == 2}
    assert served - {""} == set(LOCALE_PAGES)


def test_broken_anchors_are_reported_with_the_heading_meant(content_copy):
    problems = problems_of_one_file(
        content_copy, "en/delivery/anchors.md",
        "---\ntitle: Anchors\n---\n## Where is it\n\n"
        "[fine](#where-is-it) [own](#wher-is-it) [other](../returns/return-an-item#nothing-here)\n"
        "[by url](/en/delivery/anchors#where-is-it) [by url, broken](/en/delivery/anchors#gone)\n")
    assert problems == [
        "en/delivery/anchors.md:6: error: link '#wher-is-it' leads to no heading: this article has no "
        "'#wher-is-it': did you mean '#where-is-it'?",
        "en/delivery/anchors.md:6: error: link '../returns/return-an-item#nothing-here' leads to no heading: "
        "en/returns/return-an-item.md has no '#nothing-here'; its headings are #steps",
        "en/delivery/anchors.md:7: error: link '/en/delivery/anchors#gone' leads to no heading: "
        "en/delivery/anchors.md has no '#gone'; its headings are #where-is-it",
    ]


def test_anchors_to_transliterated_headings_are_found(content_copy):
    problems = problems_of_one_file(
        content_copy, "sv/delivery/oppettider.md",
        "---\ntitle: Öppettider\n---\n## När är ni öppna?\n\nSe [tiderna](#nar-ar-ni-oppna).\n")
    assert problems == [
        "sv/delivery/oppettider.md: warning: translation of 'delivery/oppettider', which has no source "
        "article in en/"]


def test_every_front_matter_problem_of_a_file_comes_in_one_run(content_copy):
    problems = problems_of_one_file(
        content_copy, "en/delivery/many.md",
        "---\ntitel: Oops\nupdated: 5 December\ndraft: maybe\ntags: {a: b}\n---\n"
        "Read [this](../delivery/track-parcle) and see ![map](map.png).\n")
    assert problems == [
        "en/delivery/many.md:1: error: 'title' is required",
        "en/delivery/many.md:2: warning: unknown front-matter key 'titel' is ignored",
        "en/delivery/many.md:3: error: 'updated' must be a date written YYYY-MM-DD, not '5 December'",
        "en/delivery/many.md:4: error: 'draft' must be true or false",
        "en/delivery/many.md:5: error: 'tags' must be a list of texts",
        "en/delivery/many.md:7: error: link '../delivery/track-parcle' leads nowhere: there is no article "
        "'delivery/track-parcle' in en/",
        "en/delivery/many.md:7: error: image 'map.png' not found: there is no file en/delivery/map.png",
    ]


def test_front_matter_yaml_mistakes_are_explained_in_plain_words_and_links_still_checked(content_copy):
    folder = content_copy("good")
    write(folder, "en/delivery/yaml.md",
          "---\ntitle: Where is it\nquestions: []\n  - where is my parcel\n---\n"
          "See [this](../delivery/track-parcle).\n")
    write(folder, "en/delivery/colon.md", "---\ntitle: Refunds: how long?\n---\nText.\n")
    problems = [str(p) for p in check_site(folder).problems if p.path.startswith("en/delivery/")]
    assert problems == [
        "en/delivery/colon.md:2: error: the front matter cannot be read: a second ':' on one line: put the "
        "text in quotes, like title: \"Refunds: how long?\"",
        "en/delivery/yaml.md:3: error: the front matter cannot be read: a list item or an indented line "
        "where none can go: the line above already has a value (for a list, write the key alone, like "
        "'questions:', and the items below it as '  - ...'; delete a '[]')",
        "en/delivery/yaml.md:6: error: link '../delivery/track-parcle' leads nowhere: there is no article "
        "'delivery/track-parcle' in en/",
    ]


def test_check_command_prints_each_problem_once(content_copy):
    """The real command: the app it starts logs one summary line, not the problems the check
    itself prints (stdout and stderr together)."""
    import os
    import subprocess
    import sys

    folder = content_copy("good")
    write(folder, "en/delivery/three-links.md",
          "---\ntitle: Three links\n---\n[one](../a/b) [two](../c/d)\n[three](../e/f)\n")
    write(folder, "en/delivery/no-title.md", "---\ndescription: x\n---\nText.\n")
    env = {**os.environ, "PORTAL_CONTENT_DIR": str(folder), "PORTAL_DATA_DIR": str(folder.parent / "data"),
           "PORTAL_SEARCH_BACKEND": "null", "PORTAL_SECRET_KEY": "k" * 48,
           "PORTAL_PUBLIC_URL": "https://help.example"}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "portal", "content", "check"],
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    lines = [line for line in (result.stdout + result.stderr).split("\n") if line]
    problems = [line for line in lines if line.startswith("en/delivery/")]
    assert len(problems) == len(set(problems)) == 4
    assert [line for line in lines if "content:" in line] == [
        "content: 1 error and 0 warnings; files with errors are left out. "
        "See each one with: flask --app portal content check"]
    assert result.stdout.strip().endswith("; 4 errors, 0 warnings")
