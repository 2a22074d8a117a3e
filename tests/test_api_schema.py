"""The whole OpenAPI schema against the conventions a generated client needs (``api.schema``):
a viewset added anywhere that breaks one fails here, named."""

from typing import Any

import pytest
from conftest import api
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

WRITES = ("post", "put", "patch", "delete")
ERRORS = ("400", "401", "403", "404")


def generated() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict[str, Any]):
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if method in ("get", *WRITES):
                yield path, method, op


def resolve(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    return schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]] if "$ref" in ref else ref


def walk(node: Any, where: str = ""):
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{where}/{i}")


def test_every_write_takes_json_only_but_a_real_upload():
    schema, wrong = generated(), []
    for path, method, op in operations(schema):
        content = op.get("requestBody", {}).get("content", {})
        if method == "get" or not content:
            continue
        if set(content) == {"application/json"}:
            continue
        body = resolve(schema, content.get("multipart/form-data", {}).get("schema", {}))
        uploads = [name for name, prop in body.get("properties", {}).items() if prop.get("format") == "binary"]
        if set(content) != {"multipart/form-data"} or not uploads:
            wrong.append(f"{method.upper()} {path}: {sorted(content)}")
    assert not wrong


def test_every_operation_documents_its_errors_with_the_error_schema():
    schema, wrong = generated(), []
    for path, method, op in operations(schema):
        codes = {**{code: "Error" for code in ERRORS}, **({"409": "Conflict"} if method in WRITES else {})}
        for code, component in codes.items():
            body = op["responses"].get(code, {}).get("content", {}).get("application/json", {}).get("schema", {})
            if body.get("$ref") != f"#/components/schemas/{component}":
                wrong.append(f"{method.upper()} {path} {code}")
    assert not wrong
    conflict = schema["components"]["schemas"]["Conflict"]
    assert conflict["properties"]["current_version"]["type"] == "integer"
    assert {"code", "message", "current_version"} <= set(conflict["required"])
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"code", "message"}


def test_a_patch_body_requires_the_version_it_read():
    schema, wrong = generated(), []
    for path, method, op in operations(schema):
        if method != "patch":
            continue
        body = resolve(schema, op["requestBody"]["content"]["application/json"]["schema"])
        if "version" in body["properties"] and body.get("required") != ["version"]:
            wrong.append(path)
    assert not wrong


def test_no_float_no_title_and_english_names():
    schema = generated()
    floats = [where for where, node in walk(schema["paths"]) if node.get("type") == "number"]
    floats += [where for where, node in walk(schema["components"]) if node.get("type") == "number"]
    assert not floats  # ids and counts integers, amounts and rates decimal strings
    titled = [where for where, node in walk(schema["components"]) if isinstance(node.get("title"), str)]
    titled += [where for where, node in walk(schema["paths"]) if isinstance(node.get("title"), str)]
    assert not titled  # a Chinese label would name a generated class
    assert all(name.isascii() for name in schema["components"]["schemas"])
    untyped = [f"{method.upper()} {path} {p['name']}" for path, method, op in operations(schema)
               for p in op.get("parameters", []) if not ({"type", "$ref"} & set(p["schema"]))]
    assert not untyped  # a filter with a method: its type given (core.params), not guessed from the method


def test_array_query_parameters_are_repeated_and_the_server_reads_them_so(cast):
    schema = generated()
    arrays = [(path, p) for path, method, op in operations(schema) for p in op.get("parameters", [])
              if p["in"] == "query" and p["schema"].get("type") == "array"]
    assert arrays and all(p.get("explode") is True and p.get("style") == "form" for _, p in arrays)
    client = api(cast.admin)
    names = [row["name"] for row in client.get("/api/projects/", {"o": ["-total_investment", "name"]}).json()["results"]]
    assert names == ["绥中四方台风电项目", "连石化工年产3.5万吨苯二胺项目"]
    same = client.get("/api/projects/?o=-total_investment,name").json()["results"]
    assert [row["name"] for row in same] == names
    assert [row["name"] for row in client.get("/api/projects/", {"o": ["name"]}).json()["results"]] == sorted(names)


def test_the_schema_is_the_same_for_whoever_asks(cast):
    """A viewset whose queryset needs the user must name its model (``queryset = M.objects.none()``),
    else its filters vanish from the schema generated without one (CI, the command)."""
    served = api(cast.admin).get("/api/schema/?format=json").json()
    assert served["paths"] == generated()["paths"]
    assert any(p["name"] == "stage" for p in served["paths"]["/api/projects/"]["get"]["parameters"])


@pytest.mark.parametrize("path", ["/api/projects/", "/api/units/", "/api/periods/", "/api/reports/", "/api/problems/",
                                  "/api/meetings/"])
def test_a_create_refuses_only_fields_the_schema_marks_required(cast, path):
    schema = generated()
    body = resolve(schema, schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"])
    answer = api(cast.admin).post(path, {}, format="json")
    assert answer.status_code == 400
    missing = set(answer.json()["errors"]) - {"non_field_errors"}
    assert missing and missing <= set(body["required"])


def test_json_only_a_form_body_is_refused(cast):
    answer = api(cast.admin).post("/api/units/", {"name": "某局", "region": cast.city.pk})  # multipart
    assert answer.status_code == 415
    assert answer.json()["code"] == "unsupported_media_type"
