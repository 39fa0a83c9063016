"""The import graph keeps the layers of docs/architecture.md: each part of portal/ imports only
its own layer or lower ones, never another part's private names, and no two parts need each other."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from tests.helpers import ROOT

PORTAL = ROOT / "portal"

# Lowest first. A part may import parts of its own layer or of lower ones (docs/architecture.md).
LAYERS = (
    # the app's plumbing: settings, storage, HTTP, the shared Flask extensions
    {"config", "observability", "ratelimit", "extensions", "security", "db", "models",
     "migrations", "params"},
    {"content"},  # articles: read from files, then only looked up
    {"http", "page_cache"},  # responses: headers, compression, pages rendered once per content snapshot
    {"i18n", "search"},  # languages and catalogs; the search index over the content
    {"analytics", "seo"},
    {"handoff", "learning", "checks", "deploy"},  # features over search and analytics; whole-folder checks
    {"admin"},  # the editors' area, over every feature
    {"views", "cli"},  # the visitors' pages and the command line
    {"portal"},  # create_app wires them all
)
LAYER_OF = {part: index for index, parts in enumerate(LAYERS) for part in parts}
TEST_HELPER_MODULES = {"tests.helpers", "tests.servers"}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports(root: Path, prefix: str):
    """(importing module, imported module, imported name or None) for every import under `root`
    that names a module starting with `prefix`, function-local imports included."""
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith(prefix):
                        yield module, alias.name, None
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                target = ".".join([*base, *([node.module] if node.module else [])])
                if not target.startswith(prefix):
                    continue
                for alias in node.names:
                    submodule = f"{target}.{alias.name}"
                    if _is_module(submodule):
                        yield module, submodule, None
                    else:
                        yield module, target, alias.name


def part(module: str) -> str:
    """portal.handoff.views -> handoff; portal -> portal."""
    return module.split(".")[1] if "." in module else module


PORTAL_IMPORTS = list(imports(PORTAL, "portal"))
CROSSING = [(source, target, name) for source, target, name in PORTAL_IMPORTS if part(source) != part(target)]


def test_every_part_of_portal_has_a_layer():
    parts = {part(_module_name(path, PORTAL)) for path in PORTAL.rglob("*.py")}
    assert parts - LAYER_OF.keys() == set(), "add the new part to LAYERS here and to docs/architecture.md"


def test_no_part_imports_a_higher_layer():
    upward = [f"{source} imports {target}" for source, target, _name in CROSSING
              if LAYER_OF[part(target)] > LAYER_OF[part(source)]]
    assert upward == []


def test_nothing_below_the_pages_imports_portal_views():
    into_views = [source for source, target, _name in CROSSING
                  if part(target) == "views" and part(source) != "portal"]
    assert into_views == []


def test_no_part_reaches_into_another_parts_private_names():
    private = [f"{source} imports {target}.{name or ''}" for source, target, name in CROSSING
               if (name or "").startswith("_") or any(piece.startswith("_") and piece != "__init__"
                                                       for piece in target.split("."))]
    assert private == []


def test_no_two_parts_import_each_other():
    needs = defaultdict(set)
    for source, target, _name in CROSSING:
        needs[part(source)].add(part(target))

    def reaches(start, goal, seen=()):
        return any(nxt == goal or (nxt not in seen and reaches(nxt, goal, (*seen, nxt)))
                   for nxt in needs[start])

    assert [p for p in sorted(needs) if reaches(p, p)] == []


@pytest.mark.parametrize("folder", ["content", "search"])
def test_content_and_search_never_read_the_request(folder):
    """Both are pure services: what they need comes in as arguments."""
    readers = [f"{source}" for source, target, name in imports(PORTAL / folder, "flask")
               if name == "request"]
    assert readers == []


def test_tests_import_shared_code_from_helpers_not_from_conftest_or_other_tests():
    tests = ROOT / "tests"
    wrong = [f"{source} imports {target}" for source, target, _name in imports(tests, "tests")
             if target.rsplit(".", 1)[-1] == "conftest" or target.rsplit(".", 1)[-1].startswith("test_")]
    assert wrong == []


def test_the_readme_layout_table_lists_every_folder():
    layout = (ROOT / "README.md").read_text("utf-8").split("\n## Layout", 1)[1].split("\n## ", 1)[0]
    listed = {line.split("`")[1] for line in layout.splitlines() if line.startswith("| `")}
    ignored = {".git", ".venv", "node_modules", "instance", "__pycache__", "helpcentre_portal.egg-info"}
    folders = {f"{path.name}/" for path in ROOT.iterdir()
               if path.is_dir() and path.name not in ignored and not path.name.startswith(".")}
    packages = {f"portal/{path.name}/" for path in PORTAL.iterdir()
                if path.is_dir() and path.name != "__pycache__"}
    assert (folders | packages) - listed == set()
    assert {entry for entry in listed if entry.endswith("/")} - (folders | packages) == set()


def test_every_address_under_admin_is_a_view_of_the_admin_package(demo_app):
    """The sign-in check covers the admin package's views (portal/admin/__init__.py), so a page
    under /admin/ defined anywhere else would be open to everyone."""
    def in_admin_package(endpoint):
        blueprint = demo_app.blueprints.get(endpoint.rsplit(".", 1)[0]) if "." in endpoint else None
        return blueprint is not None and blueprint.import_name.startswith("portal.admin.")

    outside = [rule.rule for rule in demo_app.url_map.iter_rules()
               if rule.rule.startswith("/admin") and not in_admin_package(rule.endpoint)]
    assert outside == []
    assert any(rule.rule.startswith("/admin/translations") for rule in demo_app.url_map.iter_rules())
