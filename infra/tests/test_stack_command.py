"""``coinstream stack``: what it prints from the stack's logs and errors goes through core's redaction."""

from __future__ import annotations

from click.testing import CliRunner

from coinstream.devstack import StackError, stack_command


def test_stack_logs_and_stack_errors_are_printed_redacted(monkeypatch, tmp_path):
    monkeypatch.setenv("COINSTREAM_STACK_DIR", str(tmp_path))
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "s3.log").write_text("s3proxy started\njclouds.credential=wJalrXUtnFEMI/K7MDENG\n")
    shown = CliRunner().invoke(stack_command.stack, ["logs", "s3", "-n", "5"])
    assert shown.stdout == "s3proxy started\njclouds.credential=***\n"

    class FailingStack:
        def down(self) -> None:
            raise StackError("cannot stop s3: its command line holds AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG")

    monkeypatch.setattr(stack_command, "LocalStack", FailingStack)
    failed = CliRunner().invoke(stack_command.stack, ["down"])
    assert failed.exit_code == 1
    assert failed.stderr == "Error: cannot stop s3: its command line holds AWS_SECRET_ACCESS_KEY=***\n"
