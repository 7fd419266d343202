"""The Dutch glossary's rejected terms (locale/nl/glossary.toml), checked against translations.

Used by locale/fill.py (a warning for each msgstr that uses a rejected term) and by
tests/test_dutch_glossary.py (which fails on any). A msgstr is checked with its placeholders
(%(name)s, %s, {company}), HTML tags and <code>…</code> taken out, so only the Dutch words count.
"""

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "locale" / "nl" / "glossary.toml"
PO = ROOT / "locale" / "nl" / "LC_MESSAGES" / "django.po"

_NOT_WORDS = re.compile(r"<code>.*?</code>|<[^>]*>|%\(\w+\)[sdf]|%[sd]|\{\w+\}|&\w+;")


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern
    use: str
    why: str


@dataclass(frozen=True)
class Violation:
    msgid: str
    msgstr: str
    found: str
    rule: Rule

    def __str__(self) -> str:
        return f"{self.msgid!r}: {self.msgstr!r} uses {self.found!r}; use {self.rule.use} ({self.rule.why})"


def rules(path: Path = GLOSSARY) -> list[Rule]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Rule(
            re.compile(r["pattern"], 0 if r.get("case_sensitive") else re.IGNORECASE),
            r["use"],
            r["why"],
        )
        for r in data.get("reject", [])
    ]


def words(msgstr: str) -> str:
    """The Dutch text of a msgstr, without placeholders, tags and code."""
    return _NOT_WORDS.sub(" ", msgstr)


def violations(msgid: str, msgstr: str, checks: list[Rule]) -> list[Violation]:
    text = words(msgstr)
    found = []
    for rule in checks:
        m = rule.pattern.search(text)
        if m:
            found.append(Violation(msgid, msgstr, m.group(0), rule))
    return found


def _unquote(lines: list[str]) -> str:
    return "".join(json.loads(line[line.index('"') :]) for line in lines)


def catalogue(text: str):
    """(msgid, [msgstr, …]) for each entry of a .po text, header and obsolete entries left out."""
    for block in text.split("\n\n"):
        sections, current = {}, None
        for line in block.split("\n"):
            if not line or line.startswith("#"):
                continue
            m = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) ", line)
            if m:
                current = m.group(1)
                sections[current] = [line]
            elif current:
                sections[current].append(line)
        if "msgid" not in sections:
            continue
        msgid = _unquote(sections["msgid"])
        if msgid:
            yield msgid, [_unquote(v) for k, v in sections.items() if k.startswith("msgstr")]


def pending(folder: Path = PO.parents[1]):
    """(file name, msgid, [value, …]) for each entry of the pending-*.json files."""
    for path in sorted(folder.glob("pending-*.json")):
        for msgid, value in json.loads(path.read_text(encoding="utf-8")).items():
            yield path.name, msgid.split("\x04")[-1], [value] if isinstance(value, str) else list(value)


def check(entries, checks: list[Rule]) -> list[Violation]:
    return [v for msgid, values in entries for value in values for v in violations(msgid, value, checks)]
