"""Polish stems that split one word: candidates for the 'pl' stem function, measured side by side.

    .venv/bin/python bench/polish_stems.py ../shared/data/dev/pl-bitext-dev [--backend NAME...]

Snowball's Polish rules leave one word under several stems: 'punkt'/'punkcie' -> punkt/punk,
'konto'/'koncie' -> kont/kon, 'wystawia'/'wystawiamy' -> wystaw/wystawi. Each candidate
replaces portal.search.analysis.stem_function for 'pl' in this process only; MRR@10 comes
from bench/relevance.py (both FTS5 baselines and each backend, all fed the candidate's stems),
memory from a fresh process per candidate (RSS and PSS, /proc/self/smaps_rollup, before and
after loading it and stemming a word). Also prints, for the demo content's Polish, how many
distinct stems its words have under each candidate, and which of the known split pairs share
a stem.

The Stempel rows need pystempel, which the portal does not install (it costs over 30 MB per
process): `.venv/bin/pip install pystempel==2.0.0` first, or they are skipped.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.relevance import BASELINES, backend_arguments, default_backend, evaluate  # noqa: E402
from portal.content.loader import load_content  # noqa: E402
from portal.search import analysis  # noqa: E402

SPLIT_PAIRS = [("wystawia", "wystawiamy"), ("punkt", "punkcie"), ("konto", "koncie"),
               ("paczka", "paczkę"), ("paczka", "paczce"), ("karta", "karcie"), ("kod", "kodzie"),
               ("faktura", "fakturze"), ("zmienia", "zmieniamy"), ("kupić", "kupię"),
               ("droga", "drodze"), ("numer", "numerze")]
# Different words that must keep different stems.
KEPT_APART = [("konto", "koniec"), ("kod", "kot"), ("karta", "kartka"), ("pieniądze", "pies"),
              ("zwrot", "zwrotka"), ("dostawa", "dostawca")]


def load_stempel(table):
    """pystempel's trie, read without its progress bar or deprecated resource calls."""
    import gzip
    from importlib.resources import files

    from pystempel import Stemmer
    from pystempel.streams import DataInputStream

    name = {"original": "stemmer_20000.tbl.gz", "polimorf": "stemmer_polimorf.tbl.gz"}[table]
    with gzip.open(files(f"pystempel.data.{table}") / name, "rb") as stream:
        return Stemmer.from_stream(DataInputStream(stream))


def snowball():
    return analysis._stemmer("polish").stemWord


def truncated(letters):
    def make():
        stem = snowball()
        return lambda word: stem(word)[:letters]
    return make


def stempel(table):
    def make():
        stem, fallback = load_stempel(table), snowball()
        return lambda word: stem(word) or fallback(word)
    return make


def stempel_then_snowball():
    stem, then = load_stempel("original"), snowball()
    return lambda word: then(stem(word) or word)


def alternations():
    stem = snowball()
    return lambda word: analysis.polish_stem(word, stem)


CANDIDATES = {
    "snowball": snowball,
    "snowball[:5]": truncated(5),
    "snowball[:6]": truncated(6),
    "snowball[:7]": truncated(7),
    "stempel": stempel("original"),
    "stempel-polimorf": stempel("polimorf"),
    "stempel+snowball": stempel_then_snowball,
    "alternations": alternations,  # what the portal uses: analysis.polish_stem
}


ORIGINAL_STEM_FUNCTION = analysis.stem_function


def use(stem):
    """Make `stem` the 'pl' stem function of this process (and drop every cached term)."""
    keep = ORIGINAL_STEM_FUNCTION

    def stem_function(locale):
        return stem if analysis.primary(locale) == "pl" else keep(locale)

    analysis.stem_function = stem_function
    analysis.term_function.cache_clear()


def memory():
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) * 1024
    return fields["Rss"], fields["Pss"]


def measure_memory(name):
    """Run in a fresh process: RSS and PSS added by loading candidate `name`."""
    gc.collect()
    rss, pss = memory()
    stem = CANDIDATES[name]()
    stem("punkcie")
    gc.collect()
    rss_after, pss_after = memory()
    print(json.dumps({"rss": rss_after - rss, "pss": pss_after - pss}))


def demo_words():
    loaded = load_content(ROOT / "content")
    words = set()
    for article in loaded.articles:
        if article.locale == "pl":
            for text in (article.title, article.body_text, *article.questions):
                words.update(analysis.query_words(text))
    return sorted(w for w in words if w.isalpha() and w not in analysis.stopwords("pl"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", type=Path)
    parser.add_argument("--candidates", nargs="+", default=list(CANDIDATES), choices=list(CANDIDATES))
    backend_arguments(parser)
    parser.add_argument("--memory-of", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_of:
        return measure_memory(args.memory_of)
    backends = args.backend or [default_backend()]
    engines = [b.name for b in BASELINES] + backends
    words = demo_words()
    print(f"{'candidate':<18}{'dataset':<16}" + "".join(f"{e:>11}" for e in engines)
          + f"{'RSS MB':>8}{'PSS MB':>8}{'demo stems':>11}{'pairs':>7}{'apart':>7}")
    for name in args.candidates:
        try:
            CANDIDATES[name]()
        except ImportError as error:
            print(f"{name:<18}skipped: {error.name} is not installed (pip install pystempel==2.0.0)")
            continue
        used = subprocess.run([sys.executable, __file__, "--memory-of", name], check=True,
                              capture_output=True, text=True).stdout
        grown = json.loads(used.splitlines()[-1])
        stem = CANDIDATES[name]()
        use(stem)
        stems = len({analysis.fold(stem(w)) for w in words})
        pairs = sum(stem(a) == stem(b) for a, b in SPLIT_PAIRS)
        apart = sum(stem(a) != stem(b) for a, b in KEPT_APART)
        for folder in args.datasets:
            result = evaluate(folder, backends)
            scores = [result[e]["MRR@10"] for e in engines[:len(BASELINES)]]
            scores += [result["backends"][b]["MRR@10"] for b in backends]
            print(f"{name:<18}{folder.name:<16}" + "".join(f"{s:>11.3f}" for s in scores)
                  + f"{grown['rss'] / 2**20:>8.1f}{grown['pss'] / 2**20:>8.1f}{stems:>11}"
                  f"{pairs:>4}/{len(SPLIT_PAIRS)}{apart:>4}/{len(KEPT_APART)}")
            sys.stdout.flush()
    print(f"(demo content: {len(words)} distinct Polish words, stop words out)")


if __name__ == "__main__":
    main()
