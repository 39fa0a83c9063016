"""How often the question's language is detected right, per language, on the dev queries.

    .venv/bin/python bench/language_detection.py ../shared/data/dev

Monolingual sets are in their site's language (sv-swefaq: sv, en/da/pl-bitext: en/da/pl);
xl-sv-dev's query ids start with the language typed. "undecided" counts as the site's
language (what the search does with it), so it is right on a monolingual set.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal.search.language import detect_language

SETS = {"sv-swefaq-dev": "sv", "en-bitext-dev": "en", "da-bitext-dev": "da", "pl-bitext-dev": "pl"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dev_folder", type=Path)
    args = parser.parse_args(argv)
    print(f"{'set':<16}{'typed in':<10}{'queries':>8}{'right':>8}{'wrong':>8}{'accuracy':>10}"
          f"{'undecided':>11}")
    rows = [(name, lambda q, lang=lang: lang, lang) for name, lang in SETS.items()]
    rows.append(("xl-sv-dev", lambda q: q["id"].split("-")[0], "sv"))
    for name, typed_in, site in rows:
        path = args.dev_folder / name / "queries.jsonl"
        totals, right, undecided = Counter(), Counter(), Counter()
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                query = json.loads(line)
                language = typed_in(query)
                totals[language] += 1
                right[language] += detect_language(query["text"], default=site) == language
                undecided[language] += detect_language(query["text"]) is None
        for language in sorted(totals):
            n = totals[language]
            print(f"{name:<16}{language:<10}{n:>8}{right[language]:>8}{n - right[language]:>8}"
                  f"{right[language] / n:>10.3f}{undecided[language]:>11}")


if __name__ == "__main__":
    main()
