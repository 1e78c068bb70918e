"""The container files, checked without Docker: services, shared environment, health checks, non-root image."""

from __future__ import annotations

from pathlib import Path

import yaml

from sarraf.config import load_banks

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_has_the_topology_with_health_checks() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "nats", "sandbox-bank", "gateway-a", "gateway-b", "alert-worker", "front"}
    for name, service in services.items():
        if name not in ("gateway-a", "gateway-b"):  # the gateways use the image's HEALTHCHECK
            assert service["healthcheck"]["test"], name
    assert "-js" in services["nats"]["command"]
    assert services["gateway-b"]["depends_on"]["gateway-a"]["condition"] == "service_healthy"


def test_replicas_share_database_nats_state_and_public_url() -> None:
    services = _compose()["services"]
    envs = [services[n]["environment"] for n in ("gateway-a", "gateway-b", "alert-worker")]
    assert all(e == envs[0] for e in envs)
    assert envs[0]["SARRAF_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert envs[0]["SARRAF_NATS_URL"] == "nats://nats:4222"
    assert envs[0]["SARRAF_ALERT_WORKERS"] == "1"
    assert all("sarraf-state:/var/lib/sarraf" in services[n]["volumes"] for n in ("gateway-a", "gateway-b"))


def test_image_is_slim_non_root_with_a_health_check() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM python:3.11-slim" in dockerfile
    assert "USER sarraf" in dockerfile and "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert "model.npz" in dockerfile and "migrations" in dockerfile


def test_deploy_banks_file_loads_with_its_agreement(tmp_path: Path) -> None:
    (tmp_path / "agreements").symlink_to(ROOT / "src" / "sarraf" / "policy" / "agreements")
    banks_file = tmp_path / "banks.yaml"
    banks_file.write_text((ROOT / "deploy" / "banks.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    bank = load_banks(banks_file)["sandbox"]
    assert not bank.embedded and bank.agreement.is_file()
