#!/usr/bin/env python3
"""Reference hashes for nestjs-agent-logging's canonical hashing, computed the way a Python service would.

    python3 scripts/hash-fixtures.py > test/fixtures/python-hashes.json
        writes the committed fixtures (deterministic: a fixed seed)
    python3 scripts/hash-fixtures.py --stdin [--secret S]
        reads one JSON value per line, writes one hash per line (the live check in test/core/hasher.spec.ts)

The hash of a value is sha256(json.dumps(v, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")),
or HMAC-SHA256 with a secret. Python cannot encode a lone surrogate in UTF-8; the library writes it as a
\\uXXXX escape, which is what errors="backslashreplace" gives, so that is used here (it changes nothing else).
"""
import hashlib
import hmac
import json
import math
import random
import sys

FIXTURE_SECRET = "fixture-secret-0123456789abcdef"


def canonical(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8", "backslashreplace")


def digest(value, secret=None):
    data = canonical(value)
    if secret is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).hexdigest()


HANDPICKED = [
    None, True, False, 0, 1, -1, 42, 2**53 - 1, -(2**53 - 1), 2**60, 10**20,
    0.1, -2.5, 1e-7, 0.0001, 0.00001, 123456.789, 1.5e300, 5e-324, 1e22, 1.7976931348623157e308,
    "", "hello", 'quote " and back\\slash / slash', "\x00\x01\x08\x09\x0a\x0b\x0c\x0d\x1b\x1f\x7f",
    "\u0085\u00a0\u2028\u2029\ufeff", "é ü ß", "日本語のテキスト", "emoji 😀 and 𝄞", "\ue000\uffff",
    "\ud800", "a\udfffb", "\udbff\u0041",
    [], {}, [1, "two", [3.5, None], {"four": False}],
    {"b": 1, "a": 2, "c": {"z": [], "y": {}}},
    {"\uffff": 1, "😀": 2, "\ue000": 3, "a": 4, "A": 5, "": 6, "10": 7, "9": 8},
    {"\ud800": "lone", "\U0001f600": "pair", "\uffff": "bmp"},
    {"user": {"email": "jane@example.com", "orders": [1001, 1002]}, "query": "where is my refund?"},
    [[[[[[[[[["deep"]]]]]]]]]],
]

SPECIALS = {
    "nan": float("nan"),
    "infinity": float("inf"),
    "negative_infinity": float("-inf"),
    "non_finite_list": [float("nan"), float("inf"), float("-inf")],
}

ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.",
    "\"\\/\b\f\n\r\t\x00\x1f\x7f",
    "éüßçñøÅ",
    "日本語中文한국어",
    "😀𝄞🎉\U0010ffff",
    "\ue000\uf8ff\ufffd\uffff",
]


def random_string(rng):
    length = rng.randint(0, 12)
    return "".join(rng.choice(rng.choice(ALPHABETS)) for _ in range(length))


def random_float(rng):
    while True:
        f = rng.choice([
            lambda: rng.uniform(-1e6, 1e6),
            lambda: rng.uniform(-1, 1) * 10 ** rng.randint(-320, 308),
            lambda: rng.random() * 10 ** rng.randint(-8, 20),
        ])()
        if math.isfinite(f) and not (f.is_integer() and abs(f) < 1e21):
            return f


def random_value(rng, depth=0):
    kinds = ["str", "int", "float", "bool", "null"] + (["list", "dict"] * 2 if depth < 4 else [])
    kind = rng.choice(kinds)
    if kind == "str":
        return random_string(rng)
    if kind == "int":
        return rng.randint(-(2**53 - 1), 2**53 - 1) if rng.random() < 0.5 else rng.randint(-1000, 1000)
    if kind == "float":
        return random_float(rng)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    return {random_string(rng): random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def fixtures():
    rng = random.Random(20261126)
    cases = [{"value": v, "sha256": digest(v)} for v in HANDPICKED]
    cases += [{"value": v, "sha256": digest(v)} for v in (random_value(rng) for _ in range(200))]
    keyed = [{"value": v, "hmac_sha256": digest(v, FIXTURE_SECRET)} for v in HANDPICKED[:12] + ["jane@example.com", "order-1001"]]
    specials = {name: digest(v) for name, v in SPECIALS.items()}
    out = {
        "generated_by": "python3 scripts/hash-fixtures.py > test/fixtures/python-hashes.json",
        "python": sys.version.split()[0],
        "secret": FIXTURE_SECRET,
        "specials": specials,
        "keyed": keyed,
        "cases": cases,
    }
    # ASCII with \\u escapes, so lone surrogates survive the trip to JavaScript's JSON.parse; one case a line.
    lines = []
    for key, value in out.items():
        if isinstance(value, list):
            items = ",\n  ".join(json.dumps(item, ensure_ascii=True) for item in value)
            lines.append(f' "{key}": [\n  {items}\n ]')
        else:
            lines.append(f' "{key}": {json.dumps(value, ensure_ascii=True)}')
    sys.stdout.write("{\n" + ",\n".join(lines) + "\n}\n")


def live(secret):
    for line in sys.stdin:
        if line.strip():
            sys.stdout.write(digest(json.loads(line), secret) + "\n")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--stdin"]:
        live(args[2] if args[1:2] == ["--secret"] else None)
    else:
        fixtures()
