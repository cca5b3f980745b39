"""The OpenAPI schema and the interactive docs, served locally without a CDN."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_openapi_3_and_lists_the_resources(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for path in (
        "/api/v1/customers",
        "/api/v1/customers/{customer_id}",
        "/api/v1/customers/{customer_id}/timeline",
        "/api/v1/customers/{customer_id}/orders",
        "/api/v1/organizations",
        "/api/v1/products",
        "/api/v1/orders",
    ):
        assert path in paths, path


def test_openapi_schema_documents_bearer_auth_and_idempotency_key(client):
    schema = client.get("/api/v1/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    create = schema["paths"]["/api/v1/customers"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}


def test_docs_page_loads_swagger_from_local_static_files(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower()
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts and all(src.startswith("/static/") for src in scripts)
    for src in scripts:
        asset = client.get(src)
        assert asset.status_code == 200, src
        asset.close()
