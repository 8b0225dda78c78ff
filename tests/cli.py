"""Run the `baocao` command inside the test process, as an administrator would run it in a shell.

A subprocess costs two seconds of start-up (Python and the project's imports) for commands that
take a tenth of that, and the suite runs hundreds of them. In this process the command sees only
the environment and working folder it is given, as a subprocess would, and its exit code, output
and any traceback come back as a `subprocess.CompletedProcess`. Tests about the process itself
(signals, start-up, the bot over HTTP) still start one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import threading
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path

from click.testing import CliRunner, Result

from bot.cli import main

TIMEOUT_S = 120
# The loggers `configure_logging` sets up; restored after each command.
_LOGGERS = ("", "httpx", "httpcore", "apscheduler")
# One command at a time: the environment, the working folder and sys.stdout are the process's.
_one_at_a_time = threading.Lock()


def run_baocao(
    *args: str, env: Mapping[str, str], cwd: Path, timeout: float = TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    """`baocao ARGS` with exactly `env` as its environment and `cwd` as its folder.

    Call from a thread without a running event loop: the command runs its own.
    """
    outcome: list[subprocess.CompletedProcess[str]] = []
    failure: list[BaseException] = []

    def command() -> None:
        try:
            outcome.append(_invoke(list(args), env, cwd))
        except BaseException as exc:  # handed to the caller's thread below
            failure.append(exc)

    # A thread of its own, so a command that hangs fails the test instead of the whole run.
    with _one_at_a_time:
        thread = threading.Thread(target=command, name=f"baocao {' '.join(args)}", daemon=True)
        with _isolated(env, cwd):
            thread.start()
            thread.join(timeout)
    if thread.is_alive():
        raise AssertionError(f"baocao {' '.join(args)} still running after {timeout:g} s")
    if failure:
        raise failure[0]
    return outcome[0]


async def baocao_here(
    *args: str, env: Mapping[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """`run_baocao` from a coroutine; this event loop (a Bot API stand-in's) keeps running."""
    return await asyncio.to_thread(run_baocao, *args, env=env, cwd=cwd)


def _invoke(args: list[str], env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result: Result = CliRunner().invoke(main, args, prog_name="baocao", catch_exceptions=True)
    stderr = result.stderr
    exception = result.exception
    if exception is not None and not isinstance(exception, SystemExit):
        # What Python prints when a command dies of an exception, so "Traceback" checks hold.
        stderr += "".join(traceback.format_exception(exception))
    return subprocess.CompletedProcess(
        ["baocao", *args], result.exit_code, stdout=result.stdout, stderr=stderr
    )


@contextlib.contextmanager
def _isolated(env: Mapping[str, str], cwd: Path) -> Iterator[None]:
    saved_environment = dict(os.environ)
    saved_logging = [
        (logger, logger.level, logger.handlers[:]) for logger in map(logging.getLogger, _LOGGERS)
    ]
    os.environ.clear()
    os.environ.update(env)
    saved_umask = os.umask(0o022)  # the command sets its own (077); a shell's usual one first
    try:
        with contextlib.chdir(cwd):
            yield
    finally:
        os.umask(saved_umask)
        os.environ.clear()
        os.environ.update(saved_environment)
        for logger, level, handlers in saved_logging:
            logger.setLevel(level)
            logger.handlers[:] = handlers
