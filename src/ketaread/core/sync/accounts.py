"""Feed-server accounts and where their passwords come from. No Textual, no network.

The password itself is never stored in the config: it is read at sync time from a
command's output, a file only its owner can read, or an environment variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ketaread.core.clean import clean_line

if TYPE_CHECKING:
    import subprocess

APIS = ("greader", "fever")
PASSWORD_COMMAND_TIMEOUT = 20.0
"""Seconds a password command may run (a keyring prompt, `pass`, a GPG agent)."""
MAX_PASSWORD_BYTES = 4096
"""Largest password read from a command or a file; beyond it the source is refused."""


class CredentialError(Exception):
    """The password of an account could not be obtained; the message names why."""


@dataclass(slots=True)
class ServerAccount:
    """One `[[server]]` table: a feed server reached over the Google Reader or Fever API."""

    name: str
    """The account's name in the sidebar, `ketaread sync NAME` and the cache."""
    url: str
    """The API endpoint (FreshRSS: …/api/greader.php or …/api/fever.php)."""
    api: str
    """'greader' or 'fever'."""
    user: str
    password_command: str | None = None
    password_file: str | None = None
    password_env: str | None = None

    @property
    def source(self) -> str:
        """The `source` column of this account's feeds in the cache."""
        return f"server:{self.name}"

    @property
    def password_origin(self) -> str:
        """Where the password comes from, for `server list` (never the password)."""
        if self.password_command:
            return f"command: {self.password_command}"
        if self.password_file:
            return f"file: {self.password_file}"
        if self.password_env:
            return f"environment variable: {self.password_env}"
        return "none"


def check_account(account: ServerAccount) -> str | None:
    """Why an account definition cannot be used, or None when it can."""
    if not account.name or clean_line(account.name) != account.name:
        return "the name must be a non-empty single line"
    if account.api not in APIS:
        return f"api must be one of {', '.join(APIS)} (not {account.api!r})"
    try:
        parts = urlsplit(account.url)
    except ValueError:
        return f"not a valid URL: {clean_line(account.url, limit=120)}"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return "the URL must be an http(s) URL with a host"
    if not account.user:
        return "a user name is needed"
    given = [
        p for p in (account.password_command, account.password_file, account.password_env) if p
    ]
    if len(given) != 1:
        return "give exactly one of password_command, password_file or password_env"
    return None


def default_name(url: str, api: str) -> str:
    """A name for an account added without --name: the server's host and the API."""
    try:
        host = urlsplit(url).hostname or "server"
    except ValueError:
        host = "server"
    return f"{host}-{api}"


def _first_line(data: bytes, origin: str) -> str:
    if len(data) > MAX_PASSWORD_BYTES:
        raise CredentialError(f"{origin} gave more than {MAX_PASSWORD_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CredentialError(f"{origin} is not UTF-8 text") from error
    line = text.splitlines()[0] if text.splitlines() else ""
    if not line:
        raise CredentialError(f"{origin} gave an empty password")
    return line


def _from_command(command: str) -> str:
    # Imported here: config.py imports this module, and the reader's start-up must not pay.
    import shlex
    import subprocess

    try:
        argv = shlex.split(command)
    except ValueError as error:
        raise CredentialError(f"password command cannot be split: {error}") from error
    if not argv:
        raise CredentialError("the password command is empty")
    shown = clean_line(argv[0], limit=80)
    try:
        # No shell: the command line is split like a shell would, then run directly.
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError as error:
        raise CredentialError(
            f"password command {shown} could not run ({error.strerror})"
        ) from error
    try:
        assert process.stdout is not None
        # Read one byte past the cap: more than that is refused without reading it all.
        data = _read_bounded(process, MAX_PASSWORD_BYTES + 1)
        if len(data) > MAX_PASSWORD_BYTES:
            raise CredentialError(
                f"password command {shown} gave more than {MAX_PASSWORD_BYTES} bytes"
            )
        status = process.wait(timeout=PASSWORD_COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired as error:
        process.kill()
        process.wait()
        raise CredentialError(
            f"password command {shown} did not finish in {PASSWORD_COMMAND_TIMEOUT:g} s"
        ) from error
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    if status != 0:
        raise CredentialError(f"password command {shown} failed (exit status {status})")
    return _first_line(data, f"password command {shown}")


def _read_bounded(process: subprocess.Popen[bytes], limit: int) -> bytes:
    """Read at most `limit` bytes of a process's output within the command timeout."""
    import selectors
    import subprocess
    import time

    assert process.stdout is not None
    deadline = time.monotonic() + PASSWORD_COMMAND_TIMEOUT
    chunks: list[bytes] = []
    size = 0
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while size < limit:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(timeout=left):
                raise subprocess.TimeoutExpired(process.args, PASSWORD_COMMAND_TIMEOUT)
            chunk = os.read(process.stdout.fileno(), min(65536, limit - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    return b"".join(chunks)


def _from_file(name: str) -> str:
    import stat

    path = Path(name).expanduser()
    try:
        info = path.stat()
    except OSError as error:
        raise CredentialError(f"password file {path}: {error.strerror}") from error
    if not stat.S_ISREG(info.st_mode):
        raise CredentialError(f"password file {path} is not a regular file")
    if info.st_mode & 0o077:
        raise CredentialError(
            f"password file {path} can be read by others (mode {stat.S_IMODE(info.st_mode):o}); "
            f"run: chmod 600 {path}"
        )
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_PASSWORD_BYTES + 1)
    except OSError as error:
        raise CredentialError(f"password file {path}: {error.strerror}") from error
    return _first_line(data, f"password file {path}")


def resolve_password(account: ServerAccount) -> str:
    """The account's password from its command, file or environment variable."""
    if account.password_command:
        return _from_command(account.password_command)
    if account.password_file:
        return _from_file(account.password_file)
    if account.password_env:
        value = os.environ.get(account.password_env)
        if not value:
            raise CredentialError(f"environment variable {account.password_env} is not set")
        return value
    raise CredentialError("no password source (password_command, password_file or password_env)")
