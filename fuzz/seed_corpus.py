#!/usr/bin/env python3
"""Fills the scan_bytes corpus with seeds: every regular *.jsonl under the given folders
(default: test/data, which includes the hostile files in test/data/hostile), named by the
SHA-1 of their content as libFuzzer names its own inputs, so running it again adds nothing.
With --lines, every line of those files is a seed of its own (the `skim` target reads one line).

    python3 fuzz/seed_corpus.py [--out fuzz/corpus/scan_bytes] [--lines] [--max-bytes N] [DIR ...]
"""
import argparse
import hashlib
import os
import sys


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(here, "corpus", "scan_bytes"))
    ap.add_argument("--max-bytes", type=int, default=256 * 1024, help="skip larger seeds (libFuzzer -max_len; make fuzz passes FUZZ_MAX_LEN)")
    ap.add_argument("--lines", action="store_true", help="one seed per line instead of per file")
    ap.add_argument("dirs", nargs="*", default=[os.path.join(repo, "test", "data")])
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    added = seen = skipped = 0
    for top in args.dirs:
        for root, _dirs, names in os.walk(top):
            for n in sorted(names):
                p = os.path.join(root, n)
                if not n.endswith(".jsonl") or os.path.islink(p) or not os.path.isfile(p):
                    continue
                seen += 1
                with open(p, "rb") as f:
                    data = f.read()
                for seed in data.split(b"\n") if args.lines else [data]:
                    if len(seed) > args.max_bytes:
                        skipped += 1
                        continue
                    dst = os.path.join(args.out, hashlib.sha1(seed).hexdigest())
                    if seed and not os.path.exists(dst):
                        with open(dst, "wb") as f:
                            f.write(seed)
                        added += 1
    print(f"seed_corpus: {seen} files seen, {added} added, {skipped} seeds over {args.max_bytes} bytes skipped -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
