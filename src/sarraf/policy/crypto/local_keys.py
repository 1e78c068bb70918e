"""LocalFileKeyProvider: master keys and named secrets as 0600 files in a 0700 folder under data_dir.

Layout: keys/master-v1.key, keys/master-v2.key, ... (32 random bytes each; the highest version is current)
and keys/secret-<name>.key. Old master versions stay on disk after rotation so that a crash in the middle
of re-wrapping loses nothing; delete a version only after `rewrap_all` has finished.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sarraf.policy.crypto.keys import DecryptionFailed, KeyUnavailable, WrappedKey

KEY_BYTES = 32
NONCE_BYTES = 12
_MASTER = re.compile(r"^master-v(\d+)\.key$")
_SECRET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_WRAP_AAD = b"sarraf/wrapped-data-key/v1\x00"
PREFIX = "local:v"


class LocalFileKeyProvider:
    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self._masters: dict[int, bytes] = {}
        self._secrets: dict[str, bytes] = {}

    # -- files -------------------------------------------------------------------------------------
    def _ensure_dir(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _read(self, path: Path) -> bytes:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyUnavailable(f"{path} is readable by other users (mode {oct(mode & 0o777)}); chmod 600 it")
        data = path.read_bytes()
        if len(data) != KEY_BYTES:
            raise KeyUnavailable(f"{path} holds {len(data)} bytes, not {KEY_BYTES}")
        return data

    def _create(self, path: Path) -> bytes:
        """Write a fresh key with O_EXCL so two processes racing on first use agree on one key."""
        self._ensure_dir()
        key = secrets.token_bytes(KEY_BYTES)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return self._read(path)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        return key

    def _versions(self) -> list[int]:
        if not self.directory.is_dir():
            return []
        return sorted(int(m.group(1)) for p in self.directory.iterdir() if (m := _MASTER.match(p.name)))

    def _master(self, version: int) -> bytes:
        if version not in self._masters:
            path = self.directory / f"master-v{version}.key"
            if not path.exists():
                raise KeyUnavailable(f"master key version {version} is missing from {self.directory}")
            self._masters[version] = self._read(path)
        return self._masters[version]

    def _current_version(self) -> int:
        versions = self._versions()
        if versions:
            return versions[-1]
        self._masters[1] = self._create(self.directory / "master-v1.key")
        return 1

    # -- KeyProvider -------------------------------------------------------------------------------
    @property
    def current_key_id(self) -> str:
        return f"{PREFIX}{self._current_version()}"

    async def wrap(self, data_key: bytes, context: bytes) -> WrappedKey:
        version = self._current_version()
        nonce = secrets.token_bytes(NONCE_BYTES)
        blob = nonce + AESGCM(self._master(version)).encrypt(nonce, data_key, _WRAP_AAD + context)
        return WrappedKey(f"{PREFIX}{version}", blob)

    async def unwrap(self, wrapped: WrappedKey, context: bytes) -> bytes:
        if not wrapped.key_id.startswith(PREFIX) or not wrapped.key_id[len(PREFIX):].isdigit():
            raise KeyUnavailable(f"key id {wrapped.key_id!r} does not belong to the local key provider")
        master = self._master(int(wrapped.key_id[len(PREFIX):]))
        nonce, body = wrapped.blob[:NONCE_BYTES], wrapped.blob[NONCE_BYTES:]
        try:
            return AESGCM(master).decrypt(nonce, body, _WRAP_AAD + context)
        except InvalidTag as exc:
            raise DecryptionFailed(f"wrapped data key under {wrapped.key_id} failed authentication") from exc

    async def rotate(self) -> str:
        version = self._current_version() + 1
        self._masters[version] = self._create(self.directory / f"master-v{version}.key")
        return f"{PREFIX}{version}"

    def holds_secret(self, name: str) -> bool:
        """Whether the named secret already exists (without creating it)."""
        return name in self._secrets or (self.directory / f"secret-{name}.key").exists()

    async def secret(self, name: str) -> bytes:
        if not _SECRET_NAME.match(name):
            raise ValueError(f"secret name {name!r} must be lowercase letters, digits and dashes")
        if name not in self._secrets:
            path = self.directory / f"secret-{name}.key"
            self._secrets[name] = self._read(path) if path.exists() else self._create(path)
        return self._secrets[name]
