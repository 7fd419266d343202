"""Regenerate the Dutch catalogue and fill it from pending translation files.

    .venv/bin/python locale/fill.py            # makemessages, fill from locale/nl/pending-*.json, compile

A pending file maps an English msgid to its Dutch text; for a plural entry the value is a
two-item list [singular, plural]. An entry with a context (pgettext, {% translate "To" context
"e-mail" %}) is looked up as "<context>\u0004<msgid>" first (gettext's own key), then by msgid
alone. Entries already translated in django.po are kept. The whole run holds a file lock, so
several people (or helpers) can run it at once safely.

Each Dutch text filled in this run is checked against the glossary (locale/nl/glossary.toml,
locale/glossary.py): a text that uses a rejected term or anglicism is printed as a warning, with
the term to use instead; tests/test_dutch_glossary.py fails on it.
"""

import fcntl
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import glossary  # locale/glossary.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locale" / "nl" / "LC_MESSAGES" / "django.po"


def _unquote(lines):
    return "".join(json.loads(line[line.index('"') :]) for line in lines)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _pending() -> dict:
    merged = {}
    for path in sorted((ROOT / "locale" / "nl").glob("pending-*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def fill(text: str, pending: dict) -> tuple[str, list[str], list[tuple[str, list[str]]]]:
    """The catalogue filled from pending, the msgids still untranslated, and what was filled."""
    blocks, missing, filled = [], [], []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        keep = [ln for ln in lines if not (ln.startswith("#,") and "fuzzy" in ln and "msgid" not in ln)]
        fuzzy = len(keep) != len(lines)
        if fuzzy:  # msgmerge's guess is dropped, and so is the msgid it guessed from ("#| msgid …")
            keep = [ln for ln in keep if not ln.startswith("#|")]
        body = [ln for ln in keep if ln and not ln.startswith("#")]
        if not body or not any(ln.startswith("msgid ") for ln in body):
            blocks.append(block)
            continue
        sections, current = {}, None
        for line in body:
            m = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) ", line)
            if m:
                current = m.group(1)
                sections[current] = [line]
            elif current:
                sections[current].append(line)
        msgid = _unquote(sections["msgid"])
        if not msgid:
            blocks.append(block)
            continue
        plural = "msgid_plural" in sections
        strs = [k for k in sections if k.startswith("msgstr")]
        done = all(_unquote(sections[k]) for k in strs) and not fuzzy
        if done:
            blocks.append("\n".join(keep))
            continue
        context = _unquote(sections["msgctxt"]) if "msgctxt" in sections else None
        value = pending.get(f"{context}\x04{msgid}") if context is not None else None
        value = pending.get(msgid) if value is None else value
        if value is None:
            missing.append(msgid)
            blocks.append(block)
            continue
        head = [ln for ln in keep if ln.startswith("#")]
        out = head + [ln for k in sections if not k.startswith("msgstr") for ln in sections[k]]
        if plural:
            one, many = (value, value) if isinstance(value, str) else value
            out += [f"msgstr[0] {_quote(one)}", f"msgstr[1] {_quote(many)}"]
            filled.append((msgid, [one, many]))
        else:
            single = value if isinstance(value, str) else value[0]
            out += [f"msgstr {_quote(single)}"]
            filled.append((msgid, [single]))
        blocks.append("\n".join(out))
    return "\n\n".join(blocks), missing, filled


def glossary_warnings(filled: list[tuple[str, list[str]]], catalogue: str) -> list[str]:
    """A line for each newly filled text that uses a term the glossary rejects, then a count of the
    older ones (the glossary test lists those)."""
    rules = glossary.rules()
    new = glossary.check(filled, rules)
    lines = [f"warning: glossary: {v}" for v in new]
    new_ids = {v.msgid for v in new}
    older = [v for v in glossary.check(glossary.catalogue(catalogue), rules) if v.msgid not in new_ids]
    if older:
        lines.append(
            f"warning: glossary: {len(older)} older text(s) in django.po use rejected terms; "
            "see tests/test_dutch_glossary.py"
        )
    return lines


def main() -> int:
    env = {**os.environ, "KRINGLOOP_ENV": os.environ.get("KRINGLOOP_ENV", "development")}
    python = sys.executable
    with open("/tmp/kringloop-catalogue.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(
            [
                python,
                "manage.py",
                "makemessages",
                "-l",
                "nl",
                "--ignore=.venv",
                "--ignore=node_modules",
                "--ignore=tests",
                "--no-obsolete",
                "--add-location=file",  # no line numbers: parallel branches then rarely conflict here
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        text, missing, filled = fill(PO.read_text(encoding="utf-8"), _pending())
        PO.write_text(text, encoding="utf-8")
        subprocess.run(
            [python, "manage.py", "compilemessages", "-l", "nl"], cwd=ROOT, env=env, check=True, capture_output=True
        )
    for line in glossary_warnings(filled, text):
        print(line)
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    print(f"{len(missing)} untranslated")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
