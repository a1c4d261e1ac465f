"""The GraphQL examples of docs/web.md are valid against the schema (names, arguments, types)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("strawberry")

from graphql import build_schema, parse, validate

from gazeport.server.graphql_schema import schema

WEB_MD = Path(__file__).resolve().parents[2] / "docs" / "web.md"


def _queries() -> list[str]:
    text = WEB_MD.read_text(encoding="utf-8")
    bodies = [json.loads(b) for b in re.findall(r"-d '(\{.*?\})'", text, flags=re.S)]
    gets = re.findall(r"--data-urlencode 'query=(.*?)'", text)
    return [b["query"] for b in bodies] + gets


def test_docs_have_examples() -> None:
    queries = _queries()
    assert len(queries) >= 10
    assert any("datasetExport(" in q for q in queries) and any("createTask(" in q for q in queries)


@pytest.mark.parametrize("query", _queries())
def test_doc_example_is_valid(query: str) -> None:
    errors = validate(build_schema(schema.as_str()), parse(query))
    assert not errors, [e.message for e in errors]
