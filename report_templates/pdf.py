"""Turn a .docx into a .pdf with LibreOffice, from a warm office when one can run.

Starting LibreOffice for each file (the cold path, `soffice --convert-to pdf`) costs seconds. The
warm path starts it once, headless and listening on a private pipe
(`soffice --accept=pipe,name=...;urp;`), and converts each file through UNO: loading the .docx and
storing it with the "writer_pdf_Export" filter takes a fraction of a second.

UNO's Python binding (`import uno`) belongs to LibreOffice, not to PyPI: on Debian and Ubuntu it
is the `python3-uno` package, built for the system's `/usr/bin/python3`, which a virtualenv on
another Python cannot import. So the UNO side runs as a small worker process of its own: this
file, run with the first interpreter that can `import uno` (this one, the system's `python3`, or
the `python` LibreOffice ships beside `soffice`). The worker reads one JSON request per line
(`{"in": ..., "out": ...}`) and answers one JSON line per request. This module itself imports only
the standard library, so the worker can run it under any Python 3.

Where no interpreter can import uno, or the warm office fails to start, hangs or dies, a file is
converted the cold way instead. An office that hung or died is replaced on the next call; one
that did not start is tried again at most every `WARM_RETRY_S`. Conversions through the warm
office take turns (a lock), so any number of threads, such as coroutines' `asyncio.to_thread`
calls, may convert at once; cold conversions run side by side, each with a profile of its own.
`close()` quits the office; the default converter is closed at exit, and a worker whose parent
died quits its office when its input closes.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

PDF_TIMEOUT_S = 120  # one conversion, warm or cold
START_TIMEOUT_S = 60  # the warm office, from nothing to accepting requests
WARM_RETRY_S = 300  # after the warm office failed, try starting it again this much later
_QUIT_TIMEOUT_S = 10
_UNO_CHECK_TIMEOUT_S = 30


def office_program() -> str | None:
    """The LibreOffice program on PATH (`soffice`, else `libreoffice`), or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _uno_candidates(office: str) -> list[str]:
    program_dir = Path(office).resolve().parent  # /usr/lib/libreoffice/program, /opt/.../program
    found = [sys.executable, shutil.which("python3"), "/usr/bin/python3", program_dir / "python"]
    unique: list[str] = []
    for candidate in found:
        if candidate and Path(candidate).is_file() and str(candidate) not in unique:
            unique.append(str(candidate))
    return unique


_uno_pythons: dict[str, str | None] = {}
_uno_lock = threading.Lock()


def uno_python(office: str | None = None) -> str | None:
    """The first interpreter that can `import uno` for `office` (checked once), or None."""
    office = office or office_program()
    if office is None:
        return None
    with _uno_lock:
        if office not in _uno_pythons:
            _uno_pythons[office] = next(
                (python for python in _uno_candidates(office) if _imports_uno(python)), None
            )
        return _uno_pythons[office]


def _imports_uno(python: str) -> bool:
    try:
        result = subprocess.run(
            [python, "-c", "import uno"],
            capture_output=True,
            timeout=_UNO_CHECK_TIMEOUT_S,
            env=_clean_environment(),
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


def _clean_environment() -> dict[str, str]:
    # Another interpreter must not pick up this one's module paths.
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


def cold_convert(docx: Path, office: str, *, timeout: float = PDF_TIMEOUT_S) -> Path | None:
    """Convert with a LibreOffice started for this file alone; the .pdf beside it, or None."""
    # A profile of its own: LibreOffice refuses to start while another process holds a profile.
    with tempfile.TemporaryDirectory(prefix="baocao-libreoffice-") as profile:
        command = [
            office,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(docx.parent),
            str(docx),
        ]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=timeout)
        except (subprocess.SubprocessError, OSError) as exc:
            logger.warning("LibreOffice could not convert %s to PDF: %s", docx.name, exc)
            return None
    pdf = docx.with_suffix(".pdf")
    return pdf if pdf.exists() else None


class WarmOfficeError(Exception):
    """The warm office could not start, or did not convert a file."""


class WarmOffice:
    """One headless LibreOffice listening on a private pipe, and the UNO worker that drives it.

    Not thread-safe: `PdfConverter` serializes the calls.
    """

    def __init__(self, office: str, python: str) -> None:
        # The worker may remove it first (see _worker_main).
        self._profile = tempfile.TemporaryDirectory(
            prefix="baocao-office-", ignore_cleanup_errors=True
        )
        pipe = f"baocao-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        accept = f"pipe,name={pipe};urp;StarOffice.ComponentContext"
        try:
            # A session of its own: Ctrl-C at the terminal stops the bot, which then quits the
            # office in order, rather than killing the office under it.
            self._office = subprocess.Popen(
                [
                    office,
                    f"-env:UserInstallation={Path(self._profile.name).as_uri()}",
                    "--headless",
                    "--invisible",
                    "--nologo",
                    "--nodefault",
                    "--norestore",
                    "--nolockcheck",
                    f"--accept={accept}",
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            self._profile.cleanup()
            raise WarmOfficeError(f"cannot start {office}: {exc}") from exc
        try:
            self._worker = subprocess.Popen(
                [
                    python,
                    str(Path(__file__).resolve()),
                    "--uno-worker",
                    pipe,
                    self._profile.name,
                    str(self._office.pid),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                bufsize=0,
                env=_clean_environment(),
                start_new_session=True,
            )
        except OSError as exc:
            self._kill(self._office)
            self._profile.cleanup()
            raise WarmOfficeError(f"cannot start the UNO worker with {python}: {exc}") from exc
        self._buffer = b""
        try:
            self._answer(START_TIMEOUT_S)  # {"ready": true} once connected
        except WarmOfficeError:
            self.close(kill=True)
            raise

    def alive(self) -> bool:
        return self._office.poll() is None and self._worker.poll() is None

    @property
    def pids(self) -> tuple[int, int]:
        """The process ids of the office and of the worker."""
        return self._office.pid, self._worker.pid

    def convert(self, docx: Path, pdf: Path, *, timeout: float = PDF_TIMEOUT_S) -> None:
        """Write `pdf` from `docx`; raises WarmOfficeError when the office did not."""
        request = json.dumps({"in": str(docx.resolve()), "out": str(pdf.resolve())})
        stdin = self._worker.stdin
        assert stdin is not None
        try:
            stdin.write(request.encode() + b"\n")
        except OSError as exc:
            raise WarmOfficeError(f"the UNO worker is gone: {exc}") from exc
        answer = self._answer(timeout)
        if not answer.get("ok"):
            raise WarmOfficeError(str(answer.get("error", "no answer")))

    def _answer(self, timeout: float) -> dict[str, Any]:
        """The worker's next JSON line, waiting at most `timeout` seconds."""
        stdout = self._worker.stdout
        assert stdout is not None
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WarmOfficeError(f"no answer from LibreOffice within {timeout:g} s")
            readable, _, _ = select.select([stdout], [], [], left)
            if readable:
                chunk = os.read(stdout.fileno(), 65536)
                if not chunk:
                    raise WarmOfficeError("the UNO worker stopped")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            answer = json.loads(line)
        except ValueError as exc:
            raise WarmOfficeError(f"the UNO worker said {line[:200]!r}") from exc
        if not isinstance(answer, dict):
            raise WarmOfficeError(f"the UNO worker said {line[:200]!r}")
        return answer

    def close(self, *, kill: bool = False) -> None:
        """Quit the office (the worker does, when its input closes); kill what does not stop.

        `kill=True` kills both at once: for an office that hung or lost its worker.
        """
        stdin = self._worker.stdin
        if stdin is not None:
            with contextlib.suppress(OSError):
                stdin.close()
        deadline = time.monotonic() + (0 if kill else _QUIT_TIMEOUT_S)
        for process in (self._worker, self._office):
            try:
                process.wait(timeout=max(0.01, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._kill(process)
        if self._worker.stdout is not None:
            self._worker.stdout.close()
        self._profile.cleanup()

    @staticmethod
    def _kill(process: subprocess.Popen[bytes]) -> None:
        # The group: `soffice` is a script that starts `oosplash`, which starts `soffice.bin`.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class PdfConverter:
    """Converts .docx files to .pdf: through a warm office when possible, else cold.

    Safe to call from several threads at once. `warm=False` always converts cold; `python` is the
    interpreter for the UNO worker (by default the first found that can import uno).
    """

    def __init__(self, *, warm: bool = True, python: str | None = None) -> None:
        self.warm = warm
        self.python = python
        self._lock = threading.Lock()
        self._office: WarmOffice | None = None
        self._retry_at = 0.0
        self._closed = False
        self.starts = 0  # warm offices started (for tests and the benchmark)
        self.last_path: str | None = None  # "warm" or "cold": how the last file was made

    def convert(self, docx: Path, *, timeout: float = PDF_TIMEOUT_S) -> Path | None:
        """The .pdf beside `docx`, or None when LibreOffice is missing or failed (logged)."""
        office = office_program()
        if office is None:
            return None
        docx = Path(docx)
        if self.warm:
            with self._lock:
                made = self._convert_warm(office, docx, timeout)
            if made is not None:
                self.last_path = "warm"
                return made
        self.last_path = "cold"
        return cold_convert(docx, office, timeout=timeout)

    def _convert_warm(self, office: str, docx: Path, timeout: float) -> Path | None:
        warm = self._warm_office(office)
        if warm is None:
            return None
        pdf = docx.with_suffix(".pdf")
        # Written under another name and renamed, so a reader never sees half a file.
        partial = pdf.with_name(f".{pdf.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            warm.convert(docx, partial, timeout=timeout)
            os.replace(partial, pdf)
        except (WarmOfficeError, OSError) as exc:
            partial.unlink(missing_ok=True)
            # This file goes cold (a file that crashed the office may well crash it again); the
            # next one gets a fresh office.
            logger.warning(
                "The warm LibreOffice failed on %s (%s); converting cold", docx.name, exc
            )
            self._stop_office(kill=True)
            return None
        return pdf

    def _warm_office(self, office: str) -> WarmOffice | None:
        if self._closed:
            return None
        if self._office is not None and not self._office.alive():
            logger.warning("The warm LibreOffice stopped; starting it again")
            self._stop_office(kill=True)
        if self._office is None and time.monotonic() >= self._retry_at:
            python = self.python or uno_python(office)
            if python is None:
                logger.info(
                    "No Python here can import uno (Debian: apt install python3-uno): "
                    "each PDF starts LibreOffice anew"
                )
                self._retry_at = float("inf")
                return None
            try:
                self._office = WarmOffice(office, python)
            except WarmOfficeError as exc:
                logger.warning("The warm LibreOffice did not start (%s); converting cold", exc)
                self._retry_at = time.monotonic() + WARM_RETRY_S
                return None
            self.starts += 1
        return self._office

    @property
    def warm_pids(self) -> tuple[int, ...]:
        """The process ids of the warm office and its worker while they run."""
        office = self._office
        return office.pids if office is not None and office.alive() else ()

    def _stop_office(self, *, kill: bool = False) -> None:
        office, self._office = self._office, None
        if office is not None:
            office.close(kill=kill)

    def close(self) -> None:
        """Quit the warm office, waiting for a conversion under way; later calls convert cold."""
        with self._lock:
            self._closed = True
            self._stop_office()


_default: PdfConverter | None = None
_default_lock = threading.Lock()


def default_converter() -> PdfConverter:
    """The process's converter, made on first use and closed at exit."""
    global _default
    with _default_lock:
        if _default is None:
            _default = PdfConverter()
            atexit.register(shutdown)
        return _default


def shutdown() -> None:
    """Quit the default converter's warm office, if one runs (idempotent)."""
    global _default
    with _default_lock:
        converter, _default = _default, None
    if converter is not None:
        converter.close()


# --- the UNO worker: runs under an interpreter that can import uno --------------------------------


def _worker_main(pipe: str, profile: str, office_pid: int) -> int:  # pragma: no cover
    """Convert files for the parent until its requests end; then quit the office.

    Runs in a process of its own. Should the parent have died (this process now has another
    parent), nobody else will remove the office's profile: the worker does, once the office quit.
    """
    parent = os.getppid()
    # LibreOffice's binding (python3-uno); `uno` makes the com.sun.star modules importable.
    import uno
    from com.sun.star.beans import PropertyValue
    from com.sun.star.connection import NoConnectException

    # Ctrl-C reaches the whole terminal's group; the parent decides when the office quits.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def properties(**values: object) -> tuple[Any, ...]:
        result = []
        for name, value in values.items():
            prop = PropertyValue()
            prop.Name, prop.Value = name, value
            result.append(prop)
        return tuple(result)

    def say(answer: dict[str, object]) -> None:
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()

    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except NoConnectException:
            if time.monotonic() > deadline:
                say({"ready": False, "error": "LibreOffice did not open its pipe"})
                return 1
            time.sleep(0.05)
    desktop = context.ServiceManager.createInstanceWithContext(
        "com.sun.star.frame.Desktop", context
    )
    say({"ready": True})
    for line in sys.stdin:
        try:
            request = json.loads(line)
            document = desktop.loadComponentFromURL(
                uno.systemPathToFileUrl(request["in"]),
                "_blank",
                0,
                properties(Hidden=True, ReadOnly=True),
            )
            if document is None:
                raise ValueError("LibreOffice could not open the file")
            try:
                document.storeToURL(
                    uno.systemPathToFileUrl(request["out"]),
                    properties(FilterName="writer_pdf_Export"),
                )
            finally:
                document.close(True)
        # Any failure, UNO's included (they derive from Exception), is the answer to this request.
        except Exception as exc:
            say({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        else:
            say({"ok": True})
    # Input closed: the parent is done (or gone). Quit the office with it.
    with contextlib.suppress(Exception):
        desktop.terminate()
    if os.getppid() != parent:
        deadline = time.monotonic() + _QUIT_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                os.kill(office_pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        shutil.rmtree(profile, ignore_errors=True)
    return 0


if __name__ == "__main__" and sys.argv[1:2] == ["--uno-worker"]:
    sys.exit(_worker_main(sys.argv[2], sys.argv[3], int(sys.argv[4])))
