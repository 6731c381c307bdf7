"""The deployment files agree with the code: every command a container runs is a
real `marketplace` command, every variable it sets is a setting some process
reads, dependencies exist, and CI runs the README's test command. No Docker needed."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import stat
import subprocess
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml

from ops import cli
from scripts import healthcheck
from scripts.settings_table import known_env_names

ROOT = Path(__file__).resolve().parents[2]
IMAGE_SERVICES_RUN = set(cli.SERVICE_NAMES)


# ----------------------------------------------------------------- helpers


class _Parsed(Exception):
    pass


def parse_marketplace(argv: list[str]) -> argparse.Namespace:
    """Parse `marketplace ARGS` with the CLI's own parser, without running anything."""
    if hasattr(cli, "build_parser"):
        return cli.build_parser().parse_args(argv)
    original = argparse.ArgumentParser.parse_args

    def capture(self, args=None, namespace=None):
        raise _Parsed(original(self, args, namespace))

    with mock.patch.object(argparse.ArgumentParser, "parse_args", capture):
        try:
            cli.main(argv)
        except _Parsed as parsed:
            return parsed.args[0]
    raise AssertionError("ops.cli.main did not parse its arguments")


def assert_marketplace_command(command: list[str] | str, where: str) -> argparse.Namespace:
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    assert argv and argv[0] == "marketplace", f"{where}: {argv} does not run `marketplace`"
    try:
        return parse_marketplace(argv[1:])
    except SystemExit as exit_:
        raise AssertionError(
            f"{where}: `{shlex.join(argv)}` is not a valid marketplace command (argparse exit {exit_.code})"
        ) from None


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def image_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The compose services that run the marketplace's own image."""
    found = {
        name: spec
        for name, spec in compose["services"].items()
        if "build" in spec or str(spec.get("image", "")).startswith("marketplace")
    }
    assert found, "no service of docker-compose.yml runs the marketplace image"
    return found


def environment(spec: dict[str, Any]) -> dict[str, str]:
    env = spec.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): str(v) for k, v in env.items()}


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)  # join continuation lines
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def exec_form(argument: str) -> list[str]:
    argument = argument.strip()
    if argument.startswith("["):
        return yaml.safe_load(argument)
    return shlex.split(argument)


# ----------------------------------------------------------------- compose


def test_compose_has_the_stack(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in (
        *("postgres", "rabbitmq", "migrate", "gateway", "nginx", "mailpit", "otel-collector", "jaeger"),
        *IMAGE_SERVICES_RUN,
    ):
        assert name in services, f"docker-compose.yml has no {name} service"
    assert re.fullmatch(r"postgres:15\.\d+", services["postgres"]["image"])
    # RabbitMQ 4 (3.13 is out of support), with the management API broker-setup uses.
    assert re.fullmatch(r"rabbitmq:4\.\d+\.\d+-management", services["rabbitmq"]["image"])
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "rabbitmq-diagnostics" in " ".join(services["rabbitmq"]["healthcheck"]["test"])


def test_every_image_is_pinned_and_every_container_limited(compose: dict[str, Any]) -> None:
    for name, spec in compose["services"].items():
        image = spec.get("image", "")
        if image != "marketplace:dev":
            assert re.search(r"@sha256:[0-9a-f]{64}$|:v?\d+\.\d+\.\d+(-[a-z]+)?$|:15\.\d+$", image), (
                f"{name}: {image} is not pinned to an exact version"
            )
        limits = spec.get("deploy", {}).get("resources", {}).get("limits", {})
        assert limits.get("cpus") and limits.get("memory"), f"{name} has no CPU or memory limit"


def test_each_service_holds_only_its_own_credentials(image_services) -> None:
    """The superuser's DSN and the broker's administrator are migrate's and seed's only; every
    other container gets its own service's passwords, by variables named after it."""
    admin_only = {
        "MARKET_PG_ADMIN_DSN",
        "MARKET_AMQP_ADMIN_URL",
        "MARKET_PG_PASSWORDS",
        "MARKET_AMQP_PASSWORDS",
    }
    for name, spec in image_services.items():
        env = environment(spec)
        args = parse_marketplace(list(spec["command"])[1:])
        if args.command != "run":
            assert admin_only <= env.keys(), f"{name} runs {args.command} without the administrators"
            continue
        assert not admin_only & env.keys(), f"{name} sees {sorted(admin_only & env.keys())}"
        assert "@" not in env["MARKET_AMQP_URL"], f"{name}: the broker URL carries credentials"
        own = args.service.upper()
        assert env["MARKET_PG_PASSWORD"].startswith(f"${{{own}_PG_PASSWORD:-"), name
        assert env["MARKET_AMQP_PASSWORD"].startswith(f"${{{own}_AMQP_PASSWORD:-"), name


def test_every_command_is_a_real_marketplace_command(image_services) -> None:
    run_services = set()
    for name, spec in image_services.items():
        assert "command" in spec, f"{name}: set its command explicitly"
        args = assert_marketplace_command(spec["command"], f"compose service {name}")
        if args.command == "run":
            assert name == args.service or name.startswith(args.service + "-"), (
                f"compose service {name} runs {args.service}"
            )
            run_services.add(args.service)
    assert run_services == IMAGE_SERVICES_RUN, (
        f"docker-compose.yml runs {sorted(run_services)}; the CLI knows {sorted(IMAGE_SERVICES_RUN)}"
    )
    migrate = parse_marketplace(list(image_services["migrate"]["command"])[1:])
    assert migrate.command == "migrate"


def test_every_environment_variable_is_a_known_setting(image_services) -> None:
    known = known_env_names()
    for name, spec in image_services.items():
        unknown = sorted(set(environment(spec)) - known)
        assert not unknown, (
            f"compose service {name} sets {unknown}, which no settings class declares and no "
            f"code reads (known: {sorted(known)})"
        )


def test_port_variables_match_the_healthchecked_service(image_services) -> None:
    for name, spec in image_services.items():
        args = parse_marketplace(list(spec["command"])[1:])
        if args.command != "run":
            continue
        env = environment(spec)
        port_var = f"{args.service.upper()}_PORT"
        assert port_var in env, f"{name}: set {port_var} so its port is explicit"
        assert env.get("MARKET_HOST") == "0.0.0.0", f"{name} must listen beyond loopback"
        test = spec["healthcheck"]["test"]
        assert test[0] == "CMD" and "/app/scripts/healthcheck.py" in test, test
        assert test[-2:] == ["ready", args.service], f"{name}: healthcheck must probe /health/ready"


def test_depends_on_targets_exist_with_sensible_conditions(compose, image_services) -> None:
    services = compose["services"]
    for name, spec in services.items():
        depends = spec.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {target: {"condition": "service_started"} for target in depends}
        for target, condition in depends.items():
            assert target in services, f"{name} depends on unknown service {target}"
            assert target != name
            if target in ("postgres", "rabbitmq"):
                assert condition["condition"] == "service_healthy", f"{name} -> {target}"
            if target == "migrate":
                assert condition["condition"] == "service_completed_successfully"
    for name, spec in image_services.items():
        if name != "migrate":
            assert "migrate" in spec["depends_on"], f"{name} must wait for the migrate job"
    optional = {name for name, spec in services.items() if spec.get("profiles")}
    for name, spec in services.items():
        if not spec.get("profiles"):
            assert not optional & set(spec.get("depends_on") or {}), (
                f"{name} depends on a service that only runs under a profile"
            )


def test_the_front_door_is_published_and_secrets_exist(compose, image_services) -> None:
    """nginx owns the published port and proxies to the gateway, which publishes none (so it
    scales to several replicas)."""
    services = compose["services"]
    assert any(str(port).endswith(":8080") for port in services["nginx"]["ports"])
    assert "ports" not in services["gateway"] and services["gateway"]["deploy"]["replicas"] >= 2
    mounted = dict(reversed(v.split(":")[:2]) for v in services["nginx"]["volumes"])
    conf = (ROOT / mounted["/etc/nginx/conf.d/default.conf"]).read_text()
    assert "server gateway:8080 resolve;" in conf and "proxy_pass http://gateway;" in conf
    assert environment(services["gateway"])["GATEWAY_TRUSTED_PROXY_HOPS"] == "1"
    declared = compose.get("secrets") or {}
    for name, spec in image_services.items():
        for secret in spec.get("secrets") or []:
            secret_name = secret if isinstance(secret, str) else secret["source"]
            assert secret_name in declared, f"{name} uses undeclared secret {secret_name}"
        for var, value in environment(spec).items():
            if var.endswith("_FILE") and value.startswith("/run/secrets/"):
                assert value.removeprefix("/run/secrets/") in (spec.get("secrets") or []), (
                    f"{name}: {var} points at a secret the service does not mount"
                )
    for secret in declared.values():
        path = Path(secret["file"])
        assert path.parts[0] == ".dev", f"secret files live in the git-ignored .dev/, not {path}"
    assert ".dev/" in (ROOT / ".gitignore").read_text().split()


def test_media_api_and_workers_share_one_storage_volume(compose, image_services) -> None:
    """What the API stores on upload is what the workers read and write renditions next to: the
    same named volume at MEDIA_STORAGE_DIR in each; and the gateway reaches the media API."""
    declared = compose.get("volumes") or {}
    volumes_by_role: dict[str, set[str]] = {}
    for name, spec in image_services.items():
        args = parse_marketplace(list(spec["command"])[1:])
        if args.command != "run" or args.service != "media":
            continue
        env = environment(spec)
        assert env["MEDIA_STORAGE"] == "directory", name
        mounted = dict(reversed(str(v).split(":")[:2]) for v in spec.get("volumes") or [])
        volume = mounted.get(env["MEDIA_STORAGE_DIR"])
        assert volume in declared, f"{name}: no named volume at MEDIA_STORAGE_DIR"
        volumes_by_role.setdefault(args.role, set()).add(volume)
    assert {"api", "worker"} <= volumes_by_role.keys()
    assert len(set().union(*volumes_by_role.values())) == 1, volumes_by_role
    url = environment(compose["services"]["gateway"])["GATEWAY_MEDIA_URL"]
    host, port = re.fullmatch(r"http://([a-z-]+):(\d+)", url).groups()
    media = compose["services"][host]
    assert parse_marketplace(list(media["command"])[1:]).role == "api"
    assert environment(media)["MEDIA_PORT"] == port
    assert host in compose["services"]["gateway"]["depends_on"]


def test_each_catalogue_api_replica_has_its_own_writable_search_index(image_services) -> None:
    """The catalogue API keeps its search index on local disk: an anonymous volume (one per
    replica, never a named one they would share) at MARKET_SEARCH_INDEX_DIR, which the image
    creates owned by the user it runs as, so the fresh volume is writable."""
    instructions = dockerfile_instructions()
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    uid, gid = [rest for keyword, rest in instructions if keyword == "USER"][-1].split(":")
    apis = 0
    for name, spec in image_services.items():
        args = parse_marketplace(list(spec["command"])[1:])
        if args.command != "run" or args.service != "catalogue" or args.role != "api":
            continue
        apis += 1
        index_dir = environment(spec)["MARKET_SEARCH_INDEX_DIR"]
        assert index_dir in [str(v) for v in spec.get("volumes") or []], f"{name}: no volume at {index_dir}"
        assert re.search(rf"install -d -o {uid} -g {gid} [^&]*{re.escape(index_dir)}\b", runs), index_dir
    assert apis == 1


# ----------------------------------------------------------------- Dockerfile


def test_dockerfile_builds_from_the_lock_and_runs_as_non_root() -> None:
    instructions = dockerfile_instructions()
    froms = [rest for keyword, rest in instructions if keyword == "FROM"]
    assert froms and all(rest.split()[0] == "python:3.11-slim" for rest in froms)
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    assert "pip install --require-hashes -r requirements/runtime.lock" in runs
    assert "dev.lock" not in runs, "the image carries the runtime lock only, no test or lint tools"
    assert re.search(r"pip install --no-deps\b", runs), "the project installs with --no-deps"
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "the image must not run as root"


def test_dockerfile_references_exist() -> None:
    instructions = dockerfile_instructions()
    for keyword, rest in instructions:
        if keyword == "COPY" and "--from=" not in rest:
            *sources, _ = exec_form(rest)
            for source in sources:
                assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"
    copied = {}
    for keyword, rest in instructions:
        if keyword == "COPY" and "--from=" not in rest:
            *sources, target = exec_form(rest)
            for source in sources:
                copied[target] = source
    cmd = [rest for keyword, rest in instructions if keyword == "CMD"]
    assert cmd, "Dockerfile has no CMD"
    assert_marketplace_command(exec_form(cmd[-1]), "Dockerfile CMD")
    assert not [rest for keyword, rest in instructions if keyword == "ENTRYPOINT"]
    health = [rest for keyword, rest in instructions if keyword == "HEALTHCHECK"]
    assert health, "Dockerfile has no HEALTHCHECK"
    probe = exec_form(health[-1].split("CMD", 1)[1])
    assert probe[0] == "python" and probe[-1] == "live"
    assert copied.get(probe[1]) == "scripts/healthcheck.py", f"{probe[1]} is not copied in"
    for keyword, rest in instructions:
        if keyword == "ENV":
            for name in re.findall(r"\b(MARKET_[A-Z0-9_]+)=", rest):
                assert name in known_env_names(), f"Dockerfile sets unknown setting {name}"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"]["marketplace"] == "ops.cli:main"


def test_dockerignore_keeps_keys_and_venvs_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", ".dev", "*.pem", "tests"):
        assert entry in ignored, f".dockerignore must exclude {entry}"


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health/live" else 503)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_container_healthcheck_probes_the_service_port(monkeypatch) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("CATALOGUE_PORT", str(server.server_address[1]))
        assert healthcheck.main(["live", "catalogue"]) == 0
        assert healthcheck.main(["ready", "catalogue"]) == 1  # 503
        monkeypatch.setenv("CATALOGUE_PORT", "1")  # nothing listens
        assert healthcheck.main(["live", "catalogue"]) == 1
    finally:
        server.shutdown()
        server.server_close()
    assert (
        healthcheck.service_from_command(
            ["/sbin/docker-init", "--", "marketplace", "run", "orders", "--role", "all"]
        )
        == "orders"
    )
    assert healthcheck.service_from_command(["marketplace", "migrate"]) is None


# ----------------------------------------------------------------- CI, Makefile, lock


def test_ci_runs_make_test() -> None:
    script = ROOT / ".ci" / "run"
    text = script.read_text()
    assert script.stat().st_mode & stat.S_IXUSR, ".ci/run must be executable"
    assert text.startswith("#!/usr/bin/env bash") or text.startswith("#!/bin/bash")
    assert "set -euo pipefail" in text
    assert re.search(r"^make test\b", text, re.MULTILINE), ".ci/run must call `make test`"
    subprocess.run(["bash", "-n", str(script)], check=True)


def test_makefile_has_the_documented_targets() -> None:
    text = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", text, re.MULTILINE))
    for target in ("install", "up", "test", "reliability", "bench", "migrate", "seed", "asyncapi"):
        assert target in targets, f"Makefile has no {target} target"
    result = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "test"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MAKEFLAGS": ""},
    )
    assert "marketplace preflight" in result.stdout
    assert "pytest" in result.stdout


def _lock(name: str) -> dict[str, str]:
    """The exact pins of requirements/NAME.lock; every pin must carry its hashes."""
    pins = {}
    text = (ROOT / "requirements" / f"{name}.lock").read_text()
    # One entry per package: `name==version \` at the start of a line, then its indented
    # `--hash=sha256:...` and `# via` lines.
    for entry in re.split(r"\n(?=[^\s#])", text):
        requirement = entry.split("\n", 1)[0].removesuffix("\\").strip()
        if requirement.startswith("#"):
            continue
        assert re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.+!-]+", requirement), (
            f"not an exact pin: {requirement}"
        )
        assert "--hash=sha256:" in entry, f"{requirement} has no hash in {name}.lock"
        package, version = requirement.split("==")
        key = re.sub(r"[-_.]+", "-", package).lower()
        assert key not in pins, f"{package} is pinned twice in {name}.lock"
        pins[key] = version
    return pins


def test_locks_pin_every_direct_dependency_with_hashes() -> None:
    runtime, dev = _lock("runtime"), _lock("dev")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for requirement in pyproject["project"]["dependencies"]:
        name = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]
        assert re.sub(r"[-_.]+", "-", name).lower() in runtime, f"{name} is not in runtime.lock"
    for tool in (
        "pytest",
        "pytest-asyncio",
        "pytest-timeout",
        "pytest-xdist",
        "hypothesis",
        "setuptools",
        "ruff",
        "mypy",
    ):
        assert tool in dev, f"{tool} is not in dev.lock"
        assert tool not in runtime, f"{tool} is a development tool, yet in runtime.lock"
    disagreeing = {
        name: (runtime[name], dev[name]) for name in runtime.keys() & dev.keys() if runtime[name] != dev[name]
    }
    assert not disagreeing, f"runtime.lock and dev.lock pin different versions: {disagreeing}"


def test_installed_versions_match_the_lock() -> None:
    """The venv tests run in was installed from the locks (make install)."""
    mismatched = []
    for name, version in (_lock("runtime") | _lock("dev")).items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            mismatched.append(f"{name} (not installed)")
            continue
        if installed != version:
            mismatched.append(f"{name} {installed} != {version}")
    assert not mismatched, f"run `make install`: {mismatched}"


def test_readme_starts_with_the_two_commands() -> None:
    lines = [line for line in (ROOT / "README.md").read_text().splitlines() if line.strip()]
    assert lines[0].startswith("# ")
    body = lines[1:]
    commands = [line.strip() for line in body[:6] if line.strip().startswith("make ")]
    assert commands[:2] == ["make up", "make test"], body[:6]
