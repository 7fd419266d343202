"""The API only grows: against the last released schema (the newest docs/api/schema-v*.yaml), no
operation, parameter or field is removed or renamed, no type changes, no new required input; the
version moves on when the schema changes, and the README's changelog names it."""

import copy
import itertools
import re
from pathlib import Path

import pytest
import yaml
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parent.parent
RELEASED = sorted(
    (ROOT / "docs" / "api").glob("schema-v*.yaml"),
    key=lambda path: tuple(int(part) for part in re.findall(r"\d+", path.stem)),
)
METHODS = ("get", "put", "post", "patch", "delete")


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in str(text).split("."))


def breaking_changes(old: dict, new: dict) -> list[str]:
    """What a client built on `old` would miss in `new`: removed or renamed operations, parameters and
    fields (in bodies and answers), changed types, input that became required, enum values that
    input no longer accepts, a non-null input field that refuses null."""

    def resolve(schema, doc):
        schema = schema or {}
        while "$ref" in schema or ("allOf" in schema and len(schema["allOf"]) == 1):
            if "$ref" in schema:
                schema = {**_pointer(doc, schema["$ref"]), **{k: v for k, v in schema.items() if k != "$ref"}}
            else:
                inner = schema["allOf"][0]
                schema = {**{k: v for k, v in schema.items() if k != "allOf"}, **resolve(inner, doc)}
        return schema

    problems = []

    def compare(before, after, where, direction):
        before, after = resolve(before, old), resolve(after, new)
        if "type" in before and before.get("type") != after.get("type"):
            problems.append(f"{where}: type {before.get('type')} became {after.get('type')}")
            return
        if direction == "request":
            if before.get("nullable") and not after.get("nullable"):
                problems.append(f"{where}: no longer accepts null")
            if set(after.get("required", [])) - set(before.get("required", [])):
                added = sorted(set(after.get("required", [])) - set(before.get("required", [])))
                problems.append(f"{where}: now requires {', '.join(added)}")
            lost = set(before.get("enum") or []) - set(after.get("enum") or before.get("enum") or [])
            if lost:
                problems.append(f"{where}: no longer accepts {sorted(map(str, lost))}")
        else:
            dropped = set(before.get("required", [])) - set(after.get("required", []))
            if dropped:
                problems.append(f"{where}: no longer always holds {', '.join(sorted(dropped))}")
        for name, field in (before.get("properties") or {}).items():
            if name not in (after.get("properties") or {}):
                problems.append(f"{where}: field {name} removed or renamed")
            else:
                compare(field, after["properties"][name], f"{where}.{name}", direction)
        if "items" in before:
            compare(before["items"], after.get("items"), f"{where}[]", direction)
        for index, (one, other) in enumerate(zip(before.get("oneOf", []), after.get("oneOf", []), strict=False)):
            compare(one, other, f"{where}|{index}", direction)

    for path, item in old["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            name = f"{method.upper()} {path}"
            current = new["paths"].get(path, {}).get(method)
            if current is None:
                problems.append(f"{name}: operation removed or renamed")
                continue
            if current.get("operationId") != operation.get("operationId"):
                problems.append(
                    f"{name}: operationId {operation.get('operationId')} became {current.get('operationId')}"
                )
            parameters = {(p["name"], p["in"]): p for p in current.get("parameters", [])}
            for parameter in operation.get("parameters", []):
                key = (parameter["name"], parameter["in"])
                if key not in parameters:
                    problems.append(f"{name}: {parameter['in']} parameter {parameter['name']} removed or renamed")
                else:
                    compare(parameter.get("schema"), parameters[key].get("schema"), f"{name} ?{key[0]}", "request")
            known = {(p["name"], p["in"]) for p in operation.get("parameters", [])}
            for key, parameter in parameters.items():
                if key not in known and parameter.get("required"):
                    problems.append(f"{name}: new required {key[1]} parameter {key[0]}")
            for media, body in (operation.get("requestBody") or {}).get("content", {}).items():
                after = (current.get("requestBody") or {}).get("content", {}).get(media)
                if after is None:
                    problems.append(f"{name}: no longer takes {media}")
                else:
                    compare(body.get("schema"), after.get("schema"), f"{name} body", "request")
            if not (operation.get("requestBody") or {}).get("required") and (current.get("requestBody") or {}).get(
                "required"
            ):
                problems.append(f"{name}: the body became required")
            for code, response in operation.get("responses", {}).items():
                after = current.get("responses", {}).get(code)
                if after is None and not code.startswith("2"):
                    continue  # an error the operation cannot give need not stay documented
                for media, body in response.get("content", {}).items():
                    if after is None or media not in after.get("content", {}):
                        problems.append(f"{name}: {code} {media} answer removed")
                    else:
                        compare(body.get("schema"), after["content"][media].get("schema"), f"{name} {code}", "response")
    return problems


def _pointer(doc, ref):
    node = doc
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


@pytest.fixture(scope="module")
def released():
    assert RELEASED, "no released schema in docs/api/"
    return yaml.safe_load(RELEASED[-1].read_text())


@pytest.fixture
def current(db):
    return yaml.safe_load(APIClient().get("/api/schema/").content)


def test_the_schema_keeps_everything_the_last_release_had(released, current):
    assert breaking_changes(released, current) == []


def test_a_changed_schema_has_a_newer_version_named_in_the_readme_changelog(released, current):
    same = {**current, "info": {**current["info"], "version": released["info"]["version"]}}
    if same != released:
        assert version(current["info"]["version"]) > version(released["info"]["version"]), (
            "The schema changed since the last release: raise SPECTACULAR_SETTINGS['VERSION']."
        )
    readme = (ROOT / "README.md").read_text()
    changelog = readme[readme.index("### API changelog") :]
    assert f"**{current['info']['version']}**" in changelog, "Name the schema's version in the README's API changelog."


def _rename_email_parameter(schema):
    for parameter in schema["paths"]["/api/contacts/"]["get"]["parameters"]:
        if parameter["name"] == "email":
            parameter["name"] = "mail"


def test_the_comparison_finds_removals_renames_and_stricter_input(released):
    """The check itself can fail: each kind of break in a copy of the released schema is reported."""
    assert breaking_changes(released, released) == []
    cases = {
        "field contacts removed or renamed": lambda s: s["components"]["schemas"]["ContactUpsertRequest"][
            "properties"
        ].pop("contacts"),
        "field account_owner removed or renamed": lambda s: s["components"]["schemas"]["Contact"]["properties"].pop(
            "account_owner"
        ),
        "GET /api/nps/summary/: operation removed or renamed": lambda s: s["paths"]["/api/nps/summary/"].pop("get"),
        "query parameter email removed or renamed": _rename_email_parameter,
        "operationId contacts_list became contacts_all": lambda s: s["paths"]["/api/contacts/"]["get"].__setitem__(
            "operationId", "contacts_all"
        ),
        "type integer became string": lambda s: s["components"]["schemas"]["Contact"]["properties"]["id"].__setitem__(
            "type", "string"
        ),
        "now requires name": lambda s: s["components"]["schemas"]["NoteRequest"].__setitem__(
            "required", ["text", "name"]
        ),
    }
    for expected, mutate in cases.items():
        changed = copy.deepcopy(released)
        mutate(changed)
        problems = breaking_changes(released, changed)
        assert any(expected in problem for problem in problems), (expected, problems)
    grown = copy.deepcopy(released)
    grown["components"]["schemas"]["Contact"]["properties"]["nickname"] = {"type": "string"}
    grown["components"]["schemas"]["Contact"]["properties"]["account_owner"]["nullable"] = True
    grown["paths"]["/api/contacts/"]["get"]["parameters"].append({"name": "q", "in": "query", "schema": {}})
    assert breaking_changes(released, grown) == []  # adding is allowed


def test_every_earlier_version_in_the_changelog_is_saved_and_only_grew():
    """Each version the changelog names before the current one has its schema saved
    (docs/api/schema-v<version>.yaml, holding that version), and each release only added to the one
    before it."""
    readme = (ROOT / "README.md").read_text()
    changelog = readme[readme.index("### API changelog") :].split("\n## ", 1)[0]
    named = sorted({version(v) for v in re.findall(r"^- \*\*(\d+(?:\.\d+)*)\*\*", changelog, re.M)})
    saved = {version(re.search(r"schema-v([\d.]+)$", path.stem).group(1)): path for path in RELEASED}
    current = max(named)
    assert [v for v in named if v != current and v not in saved] == [], "save each released schema in docs/api/"
    schemas = [yaml.safe_load(saved[v].read_text()) for v in sorted(saved)]
    for path, schema in zip(sorted(saved), schemas, strict=True):
        assert version(schema["info"]["version"]) == path, f"docs/api/schema-v{path} holds another version"
    for before, after in itertools.pairwise(schemas):
        assert breaking_changes(before, after) == [], (before["info"]["version"], after["info"]["version"])
