"""docker-compose.yml, the Dockerfile and the production dagster.yaml, checked against the code.

No Docker engine runs here, so the compose file is held to what it can be
checked against: each service command (and health check) is a real command of
the installed packages with real options, every variable it or dagster.yaml
references is documented in .env.example, the compose workspace points at the
code server, nothing is published beyond 127.0.0.1, and each service receives
exactly the variables its process reads (no secret goes where it is not used,
none is put on a command line).
"""

import importlib
import re
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import click
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"postgres", "mlflow", "dagster-code", "dagster-webserver", "dagster-daemon"}
VARIABLE = re.compile(r"\$\{(\w+)")
# Variables whose value lets someone in: a service may receive one only if it reads it.
SECRETS = {
    "POSTGRES_PASSWORD", "LEAD_SCORING_WAREHOUSE_URL", "MLFLOW_BACKEND_STORE_URI", "DAGSTER_POSTGRES_URL",
    "MLFLOW_TRACKING_URI",  # an authenticated tracking server's URI carries user:password
    "LEAD_SCORING_ALERT_WEBHOOK_URL",  # an incoming webhook's path is its token
}
POSTGRES_IMAGE_READS = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}  # the official image's documented ones


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def documented_variables() -> set[str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return {line.split("=", 1)[0] for line in lines if re.match(r"^\w+=", line)}


def env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if re.match(r"^\w+=", line))


def resolve_command(argv: list[str]) -> tuple[click.Command | None, list[str], str | None]:
    """The click command ``argv`` calls, the arguments left for it, and what is wrong (None = nothing)."""
    scripts = {ep.name: ep for ep in entry_points(group="console_scripts")}
    if argv[0] not in scripts:
        return None, [], f"{argv[0]!r} is not an entry point of the installed packages"
    command, args = scripts[argv[0]].load(), list(argv[1:])
    if not isinstance(command, click.Command):  # a `main()` wrapper: its module's click `cli`
        command = getattr(importlib.import_module(scripts[argv[0]].module), "cli", None)
    while isinstance(command, click.Group) and args and not args[0].startswith("-"):
        name = args.pop(0)
        if name not in command.commands:
            return None, [], f"{argv[0]}: no subcommand {name!r}"
        command = command.commands[name]
    if not isinstance(command, click.Command):
        return None, [], f"{argv[0]} is not a click command"
    return command, args, None


def command_problems(argv: list[str]) -> list[str]:
    """What is wrong with ``argv`` as a call of an installed console script (empty = a real command)."""
    command, args, problem = resolve_command(argv)
    if problem:
        return [problem]
    options = {opt: p for p in command.params if isinstance(p, click.Option) for opt in p.opts + p.secondary_opts}
    problems = []
    while args:
        token = args.pop(0)
        if not token.startswith("-"):
            continue
        option = options.get(token.split("=", 1)[0])
        if option is None:
            problems.append(f"{' '.join(argv[:3])}: no option {token!r}")
        elif not option.is_flag and "=" not in token and args:
            args.pop(0)
    return problems


def compose_problems(spec: dict) -> list[str]:
    problems = []
    if set(spec["services"]) != SERVICES:
        problems.append(f"services {sorted(spec['services'])} != {sorted(SERVICES)}")
    for name, service in spec["services"].items():
        if "command" in service:
            problems += command_problems([str(part) for part in service["command"]])
        check = service.get("healthcheck", {}).get("test")
        if not check:
            problems.append(f"service {name} has no health check")
        elif check[0] == "CMD":
            problems += command_problems([str(part) for part in check[1:]]) if check[1] != "python" else []
        for port in service.get("ports", []):
            if not str(port).startswith("127.0.0.1:"):
                problems.append(f"service {name} publishes {port} beyond 127.0.0.1")
    undocumented = set(VARIABLE.findall(yaml.safe_dump(spec))) - documented_variables()
    if undocumented:
        problems.append(f"variables not documented in .env.example: {sorted(undocumented)}")
    return problems + environment_problems(spec)


def dagster_yaml_variables() -> set[str]:
    return set(re.findall(r"env: (\w+)", (ROOT / "deploy" / "dagster.yaml").read_text()))


def package_variables() -> set[str]:
    """The variables lead_scoring's code reads: every quoted UPPER_CASE name in it (a superset is safe here)."""
    source = "\n".join(path.read_text() for path in (ROOT / "lead_scoring").rglob("*.py"))
    return set(re.findall(r"[\"']([A-Z][A-Z0-9]*_[A-Z0-9_]+)[\"']", source))


def reads(service: dict) -> set[str]:
    """The variables a service's process reads, from what it runs: its command's options, dagster.yaml, our code."""
    if "command" not in service:
        return POSTGRES_IMAGE_READS
    argv = [str(part) for part in service["command"]]
    command, _, _ = resolve_command(argv)
    if argv[0] == "mlflow":
        return {param.envvar for param in command.params if isinstance(param.envvar, str)}
    instance = dagster_yaml_variables() | {"DAGSTER_HOME"}
    return instance | package_variables() if "--module-name" in argv else instance


def received(service: dict) -> set[str]:
    """What a service's container gets: all of .env with ``env_file``, its environment, what its commands quote."""
    environment = service.get("environment") or {}
    names = set(environment) if isinstance(environment, dict) else {item.split("=", 1)[0] for item in environment}
    quoted = set(VARIABLE.findall(yaml.safe_dump([service.get("command", []), service.get("healthcheck", {})])))
    return names | quoted | (documented_variables() if "env_file" in service else set())


def environment_problems(spec: dict) -> list[str]:
    problems = []
    # Host ports are compose's own business: no container reads them.
    host_side = {v for service in spec["services"].values() for port in service.get("ports", []) for v in VARIABLE.findall(str(port))}
    for name, service in spec["services"].items():
        needed, got = reads(service), received(service)
        for variable in sorted(got - needed):
            kind = "the secret" if variable in SECRETS else "the variable"
            problems.append(f"service {name} receives {kind} {variable}, which it does not read")
        for variable in sorted((needed & documented_variables()) - host_side - got):
            problems.append(f"service {name} reads {variable} but does not receive it")
        on_command_line = set(VARIABLE.findall(yaml.safe_dump(service.get("command", [])))) & SECRETS
        for variable in sorted(on_command_line):
            problems.append(f"service {name} has the secret {variable} on its command line (visible to `ps`)")
    return problems


def test_compose_file_matches_the_code():
    assert compose_problems(compose()) == []


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (lambda s: s["services"]["dagster-code"].update(command=["dagster", "api", "grpcc"]), "no subcommand 'grpcc'"),
        (lambda s: s["services"]["mlflow"]["command"].append("--no-such-flag"), "no option '--no-such-flag'"),
        (lambda s: s["services"]["dagster-daemon"].update(command=["dagster-deamon", "run"]), "not an entry point"),
        (lambda s: s["services"]["mlflow"]["environment"].update(X="${UNDOCUMENTED_SECRET}") if "environment" in s["services"]["mlflow"]
         else s["services"]["mlflow"].update(environment={"X": "${UNDOCUMENTED_SECRET}"}), "UNDOCUMENTED_SECRET"),
        (lambda s: s["services"]["dagster-webserver"].update(ports=["3000:3000"]), "beyond 127.0.0.1"),
        (lambda s: s["services"]["dagster-daemon"].pop("healthcheck"), "no health check"),
        (lambda s: s["services"]["mlflow"]["environment"].update(LEAD_SCORING_WAREHOUSE_URL="${LEAD_SCORING_WAREHOUSE_URL}"),
         "mlflow receives the secret LEAD_SCORING_WAREHOUSE_URL, which it does not read"),
        (lambda s: s["services"]["dagster-webserver"].update(env_file=".env"),
         "dagster-webserver receives the secret LEAD_SCORING_ALERT_WEBHOOK_URL"),
        (lambda s: s["services"]["dagster-code"]["environment"].pop("MLFLOW_TRACKING_URI"),
         "dagster-code reads MLFLOW_TRACKING_URI but does not receive it"),
        (lambda s: s["services"]["mlflow"]["command"].extend(["--backend-store-uri", "${MLFLOW_BACKEND_STORE_URI}"]),
         "mlflow has the secret MLFLOW_BACKEND_STORE_URI on its command line"),
    ],
)
def test_compose_check_catches_a_broken_file(breakage, expected):
    spec = compose()
    breakage(spec)
    assert any(expected in problem for problem in compose_problems(spec))


def test_every_secret_looking_variable_is_counted_as_a_secret():
    from lead_scoring.redaction import redacted

    looks_secret = {name for name, value in env_example().items()
                    if re.search(r"PASSWORD|TOKEN|SECRET|KEY|WEBHOOK", name) or redacted(value) != value}
    assert looks_secret and looks_secret <= SECRETS <= set(env_example())


def option_value(command: list, option: str) -> str:
    return str(command[command.index(option) + 1])


def test_compose_workspace_points_at_the_code_server():
    spec = compose()
    code = spec["services"]["dagster-code"]["command"]
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dagster"]
    assert option_value(code, "--module-name") == tool["module_name"]
    for name in ("dagster-webserver", "dagster-daemon"):
        workspace = yaml.safe_load((ROOT / option_value(spec["services"][name]["command"], "--workspace")).read_text())
        (server,) = [entry["grpc_server"] for entry in workspace["load_from"]]
        assert (server["host"], str(server["port"])) == ("dagster-code", option_value(code, "--port"))
        assert server["location_name"] == tool["code_location_name"]


def test_env_example_documents_every_setting_and_holds_no_secret():
    documented = env_example()
    from lead_scoring.settings import VARIABLES

    # The settings a compose deployment must decide; the rest keep their defaults (docs/configuration-reference.md).
    deployment = {"LEAD_SCORING_HOME", "LEAD_SCORING_WAREHOUSE_URL", "LEAD_SCORING_DBT_TARGET", "MLFLOW_TRACKING_URI",
                  "LEAD_SCORING_MLFLOW_UI_URL", "DAGSTER_HOME", "LEAD_SCORING_ALERT_WEBHOOK_URL"}
    assert deployment <= set(documented)
    ours = {key for key in documented if key.startswith("LEAD_SCORING_")}
    assert ours <= {v.name for v in VARIABLES}, "a variable in .env.example that the settings do not read"
    dagster_yaml_vars = set(re.findall(r"env: (\w+)", (ROOT / "deploy" / "dagster.yaml").read_text()))
    assert dagster_yaml_vars <= set(documented)
    passwords = [value for key, value in documented.items() if "PASSWORD" in key]
    urls = [value for value in documented.values() if value.startswith("postgresql")]
    assert passwords and all(value == "change-me" for value in passwords)
    assert urls and all(":change-me@" in url for url in urls)
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()


def test_dockerfile_copies_what_exists():
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = re.findall(r"^COPY (\S+)", dockerfile, re.M)
    assert copied and all((ROOT / path).exists() for path in copied)
    assert "lead-scoring prepare" in dockerfile and "deploy/dagster.yaml" in dockerfile


def test_production_dagster_yaml_is_a_valid_instance_config(tmp_path, monkeypatch):
    from dagster._core.instance.config import dagster_instance_config

    monkeypatch.setenv("DAGSTER_POSTGRES_URL", "postgresql://u:p@127.0.0.1:5432/dagster")
    monkeypatch.setenv("DAGSTER_MAX_CONCURRENT_RUNS", "4")
    (tmp_path / "dagster.yaml").write_text((ROOT / "deploy" / "dagster.yaml").read_text())
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["storage"]["postgres"]["postgres_url"] == {"env": "DAGSTER_POSTGRES_URL"}
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["run_monitoring"]["enabled"] and config["freshness"]["enabled"]


def test_production_queue_allows_one_dbt_build_and_every_dbt_job_says_it_runs_dbt():
    from lead_scoring.defs.partitions import DBT_BUILD_TAG
    from lead_scoring.definitions import defs

    limits = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())["run_coordinator"]["config"]["tag_concurrency_limits"]
    (key, value), = DBT_BUILD_TAG.items()
    assert limits == [{"key": key, "value": value, "limit": 1}]  # no one-writer limit: Postgres takes concurrent writers
    jobs = {job.name: job for job in defs.get_repository_def().get_all_jobs()}
    for name in ("retrain", "daily_scoring"):
        assert jobs[name].tags.get(key) == value, name
