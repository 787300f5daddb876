"""``coinstream stack up|down|status|logs|fetch``: the local stack (Kafka x3, schema registry, S3)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from coinstream.core import redact_text
from coinstream.devstack import PARTS, LocalStack, StackError, jars
from coinstream.devstack.tls import stack_tls


@contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except StackError as error:
        raise click.ClickException(redact_text(str(error))) from error


@click.group("stack")
def stack() -> None:
    """Run the local stack on loopback, without Docker: three KRaft Kafka nodes, Apicurio
    Registry (Confluent API) and S3Proxy, each a JVM from Maven Central jars. State and logs live
    in <checkout>/.stack (COINSTREAM_STACK_DIR), downloads in <checkout>/.cache."""


@stack.command("up")
def up_command() -> None:
    """Start every part not running yet, wait until all serve, write the pipeline file."""
    with _user_errors():
        local = LocalStack()
        result = local.up()
    endpoints = local.endpoints
    started = ", ".join(result.started) or "none"
    running = ", ".join(result.already_running) or "none"
    click.echo(f"local stack is up in {result.seconds:.1f} s (started: {started}; already running: {running})")
    rows = [
        ("kafka", f"{endpoints.bootstrap_servers}  (3 KRaft nodes; replication 3, min ISR 2)"),
        ("kafka SASL_SSL", f"{endpoints.sasl_ssl_bootstrap_servers}  (SCRAM-SHA-512, user "
                           f"{endpoints.scram_username}; CA {stack_tls(local.paths).ca_file})"),
        ("schema registry", endpoints.schema_registry_url),
        ("s3", f"{endpoints.s3_endpoint_url}  bucket {endpoints.bucket}, region {endpoints.region}, path-style"),
        ("credentials", f"{result.credentials_file}  (S3 keys, SCRAM user)"),
        ("pipeline file", str(result.pipeline_file)),
    ]
    for name, value in rows:
        click.echo(f"  {name:<16} {value}")


@stack.command("down")
def down_command() -> None:
    """Stop every part this stack started (by its recorded PID) and check no port still listens."""
    with _user_errors():
        outcomes = LocalStack().down()
    for part, outcome in outcomes.items():
        click.echo(f"  {part:<9} {outcome.replace('_', ' ')}")
    click.echo("local stack is down; no port of it listens")


@stack.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per part.")
def status_command(as_json: bool) -> None:
    """Each part: pid, ports, alive, listening, resident memory. Exit 1 unless all are up."""
    with _user_errors():
        statuses = LocalStack().status()
    if as_json:
        for s in statuses:
            click.echo(json.dumps({"part": s.part, "pid": s.pid, "ports": list(s.ports), "alive": s.alive,
                                   "listening": s.listening, "rss_bytes": s.rss_bytes, "log_file": str(s.log_file)}))
    else:
        click.echo(f"  {'part':<9} {'pid':>7}  {'ports':<12} {'alive':<6} {'listening':<9} {'rss':>8}")
        for s in statuses:
            rss = f"{s.rss_bytes / 2**20:.0f} MiB" if s.rss_bytes else "-"
            ports = ",".join(map(str, s.ports))
            click.echo(f"  {s.part:<9} {s.pid or '-':>7}  {ports:<12} {'yes' if s.alive else 'no':<6} "
                       f"{'yes' if s.listening else 'no':<9} {rss:>8}")
    if not all(s.alive and s.listening for s in statuses):
        raise SystemExit(1)


@stack.command("logs")
@click.argument("part", required=False, type=click.Choice([*PARTS, "kafka"]))
@click.option("-n", "lines", type=int, default=40, show_default=True, help="Lines from the end of each log.")
@click.option("-f", "follow", is_flag=True, help="Keep printing new lines (Ctrl-C stops).")
def logs_command(part: str | None, lines: int, follow: bool) -> None:
    """Show the log of PART (kafka = the three nodes; default: every part)."""
    with _user_errors():
        local = LocalStack()
    chosen = [p for p in PARTS if part is None or p == part or (part == "kafka" and p.startswith("kafka-"))]
    files = {p: local.paths.log_file(p) for p in chosen}
    prefix = len(files) > 1
    offsets: dict[str, int] = {}
    for name, path in files.items():
        if not path.is_file():
            click.echo(f"==> {name}: no log yet ({path})", err=True)
            offsets[name] = 0
            continue
        data = path.read_bytes()
        offsets[name] = len(data)
        if prefix:
            click.echo(f"==> {name} ({path}) <==")
        for line in data.decode(errors="replace").splitlines()[-lines:] if lines > 0 else []:
            click.echo(redact_text(line))
    if follow:
        _follow(files, offsets, prefix)


def _follow(files: dict[str, Path], offsets: dict[str, int], prefix: bool) -> None:
    try:
        while True:
            for name, path in files.items():
                try:
                    size = path.stat().st_size
                except FileNotFoundError:
                    continue
                if size < offsets[name]:  # the log was replaced: start from its beginning
                    offsets[name] = 0
                if size > offsets[name]:
                    with path.open("rb") as log_file:
                        log_file.seek(offsets[name])
                        chunk = log_file.read()
                    offsets[name] += len(chunk)
                    for line in chunk.decode(errors="replace").splitlines():
                        click.echo(redact_text(f"{name}| {line}" if prefix else line))
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass


@stack.command("fetch")
def fetch_command() -> None:
    """Download the stack's jars into the cache (what `up` does first); skipped when current."""
    with _user_errors():
        local = LocalStack()
        fetched = jars.fetch_all(local.paths)
    click.echo(f"jars current in {local.paths.cache / 'jars'} (fetched now: {', '.join(fetched) or 'none'})")


if __name__ == "__main__":
    stack()
