import os
import secrets
import subprocess
import sys

import pytest


def run_rapport(args, env_overrides, tmp_path):
    unset = ("DATABASE_URL", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update({"RAPPORT_VAR_DIR": str(tmp_path), **env_overrides})
    return subprocess.run(
        [sys.executable, "-m", "rapport", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_check_is_clean_with_the_documented_production_settings(tmp_path):
    result = run_rapport(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {"SECRET_KEY": secrets.token_urlsafe(60), "HTTPS": "1", "ALLOWED_HOSTS": "crm.example.com"},
        tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_secret_key_is_generated_once_and_kept_private(tmp_path):
    for _ in range(2):
        result = run_rapport(
            [
                "shell",
                "-v",
                "0",
                "-c",
                "from django.conf import settings; print(settings.SECRET_KEY)",
            ],
            {},
            tmp_path,
        )
        assert result.returncode == 0, result.stderr
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == result.stdout.strip()
    assert len(key_file.read_text().strip()) >= 50
    assert oct(key_file.stat().st_mode)[-3:] == "600"


def test_secret_key_can_come_from_a_file(tmp_path):
    secret = tmp_path / "key"
    secret.write_text("s" * 60)
    result = run_rapport(
        ["shell", "-v", "0", "-c", "from django.conf import settings; print(settings.SECRET_KEY)"],
        {"SECRET_KEY_FILE": str(secret)},
        tmp_path,
    )
    assert result.stdout.strip() == "s" * 60


@pytest.mark.django_db
def test_health_endpoint_answers_when_the_database_is_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"
