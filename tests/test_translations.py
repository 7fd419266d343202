"""The Dutch catalogue is complete: every marked string has a translation, none is fuzzy."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

CATALOGUE = Path(__file__).resolve().parents[1] / "locale" / "nl" / "LC_MESSAGES" / "django.po"


def _entries():
    for block in CATALOGUE.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        text = "\n".join(lines)
        msgid = (
            "".join(re.findall(r'"(.*)"', text.split("msgstr")[0].split("msgid", 1)[-1])) if "msgid" in text else None
        )
        msgstr = "".join(re.findall(r'"(.*)"', text.split("msgstr", 1)[1])) if "msgstr" in text else None
        yield msgid, msgstr, any(line.startswith("#,") and "fuzzy" in line for line in block.splitlines())


def test_every_dutch_string_is_translated():
    untranslated = [msgid for msgid, msgstr, _ in _entries() if msgid and not msgstr]
    assert untranslated == []


def test_no_translation_is_fuzzy():
    assert [msgid for msgid, _, fuzzy in _entries() if msgid and fuzzy] == []


# makemessages writes locale/django.pot in the checkout: only one of make test's two parallel runs may.
@pytest.mark.once
def test_the_catalogue_covers_every_marked_string(tmp_path):
    """makemessages on the current code adds nothing new to the committed catalogue."""
    root = CATALOGUE.parents[3]
    before = {m for m, _, _ in _entries()}
    work = tmp_path / "locale"
    subprocess.run(["cp", "-r", str(root / "locale"), str(work)], check=True)
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "nl",
            "--ignore=.venv",
            "--ignore=node_modules",
            "--ignore=tests",
            "--no-obsolete",
            "--add-location=file",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        env={"KRINGLOOP_ENV": "development", "PATH": "/usr/bin:/bin", "KRINGLOOP_DEMO_DIR": str(tmp_path / "demo")},
    )
    try:
        after = {m for m, _, _ in _entries()}
    finally:
        subprocess.run(["cp", str(work / "nl" / "LC_MESSAGES" / "django.po"), str(CATALOGUE)], check=True)
    assert result.returncode == 0, result.stderr
    assert after - before == set(), f"untranslated new strings: {sorted(after - before)}"
