"""Envelope encryption: per-owner data keys, associated data, rotation, shredding, key files."""

from __future__ import annotations

import stat
from collections.abc import Sequence
from pathlib import Path

import pytest

from sarraf.policy.crypto import (
    DataKeyShredded,
    DecryptionFailed,
    EnvelopeCipher,
    KeyUnavailable,
    LocalFileKeyProvider,
    SecretBox,
    WrappedKey,
    rotate_master_key,
)


class MemoryKeyStore:
    def __init__(self) -> None:
        self.rows: dict[str, WrappedKey] = {}

    async def get(self, owner: str) -> WrappedKey | None:
        return self.rows.get(owner)

    async def add(self, owner: str, wrapped: WrappedKey) -> WrappedKey:
        return self.rows.setdefault(owner, wrapped)

    async def replace(self, owner: str, wrapped: WrappedKey) -> None:
        self.rows[owner] = wrapped

    async def delete(self, owner: str) -> bool:
        return self.rows.pop(owner, None) is not None

    async def page(self, after: str | None, limit: int) -> Sequence[tuple[str, WrappedKey]]:
        owners = sorted(o for o in self.rows if after is None or o > after)[:limit]
        return [(o, self.rows[o]) for o in owners]


@pytest.fixture
def keys(tmp_path: Path) -> LocalFileKeyProvider:
    return LocalFileKeyProvider(tmp_path / "keys")


@pytest.fixture
def cipher(keys: LocalFileKeyProvider) -> EnvelopeCipher:
    return EnvelopeCipher(keys, MemoryKeyStore())


async def test_round_trip_bytes_and_text(cipher: EnvelopeCipher) -> None:
    token = await cipher.encrypt("c1", "name", "Zofia Nowak — زوفيا")
    assert token[:1] == b"\x01" and b"Zofia" not in token
    assert await cipher.decrypt_str("c1", "name", token) == "Zofia Nowak — زوفيا"
    assert await cipher.decrypt("c1", "blob", await cipher.encrypt("c1", "blob", b"\x00\xff")) == b"\x00\xff"


async def test_same_plaintext_encrypts_differently(cipher: EnvelopeCipher) -> None:
    assert await cipher.encrypt("c1", "f", "x") != await cipher.encrypt("c1", "f", "x")


async def test_tampered_ciphertext_is_refused(cipher: EnvelopeCipher) -> None:
    token = bytearray(await cipher.encrypt("c1", "iban", "PL61109010140000071219812874"))
    token[-1] ^= 1
    with pytest.raises(DecryptionFailed, match="iban of 'c1' failed authentication"):
        await cipher.decrypt("c1", "iban", bytes(token))


async def test_ciphertext_is_bound_to_owner_and_field(cipher: EnvelopeCipher) -> None:
    token = await cipher.encrypt("c1", "iban", "secret")
    await cipher.encrypt("c2", "iban", "other")
    with pytest.raises(DecryptionFailed):
        await cipher.decrypt("c1", "phone", token)
    with pytest.raises(DecryptionFailed):
        await cipher.decrypt("c2", "iban", token)


async def test_not_a_ciphertext(cipher: EnvelopeCipher) -> None:
    with pytest.raises(DecryptionFailed, match="not a Sarraf v1 ciphertext"):
        await cipher.decrypt("c1", "f", b"plain text")


async def test_shred_makes_every_ciphertext_unreadable(cipher: EnvelopeCipher) -> None:
    tokens = [await cipher.encrypt("c1", f"f{i}", str(i)) for i in range(3)]
    other = await cipher.encrypt("c2", "f0", "kept")
    assert await cipher.shred("c1")
    for i, token in enumerate(tokens):
        with pytest.raises(DataKeyShredded, match="no data key for 'c1'"):
            await cipher.decrypt("c1", f"f{i}", token)
    assert await cipher.decrypt_str("c2", "f0", other) == "kept"


async def test_rotation_rewraps_keys_without_touching_ciphertexts(keys: LocalFileKeyProvider) -> None:
    store = MemoryKeyStore()
    cipher = EnvelopeCipher(keys, store)
    tokens = {o: await cipher.encrypt(o, "f", o) for o in ("a", "b", "c")}
    before = dict(store.rows)
    assert keys.current_key_id == "local:v1"
    assert await rotate_master_key(keys, store, page_size=2) == 3
    assert keys.current_key_id == "local:v2"
    assert all(store.rows[o].key_id == "local:v2" and store.rows[o] != before[o] for o in tokens)
    for owner, token in tokens.items():
        assert await cipher.decrypt_str(owner, "f", token) == owner
    # Once v1 is retired, nothing needs it any more.
    (keys.directory / "master-v1.key").unlink()
    fresh = LocalFileKeyProvider(keys.directory)
    assert await EnvelopeCipher(fresh, store).decrypt_str("a", "f", tokens["a"]) == "a"
    with pytest.raises(KeyUnavailable, match="master key version 1 is missing"):
        await fresh.unwrap(before["a"], b"a")


async def test_wrapped_key_swapped_between_owners_is_refused(keys: LocalFileKeyProvider) -> None:
    store = MemoryKeyStore()
    cipher = EnvelopeCipher(keys, store)
    await cipher.encrypt("a", "f", "x")
    token = await cipher.encrypt("b", "f", "y")
    store.rows["b"] = store.rows["a"]
    with pytest.raises(DecryptionFailed, match="wrapped data key"):
        await cipher.decrypt("b", "f", token)


async def test_key_files_are_private(keys: LocalFileKeyProvider) -> None:
    await keys.wrap(bytes(32), b"x")
    secret = await keys.secret("audit-signing")
    assert secret == await LocalFileKeyProvider(keys.directory).secret("audit-signing")
    assert stat.S_IMODE(keys.directory.stat().st_mode) == 0o700
    for path in keys.directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    (keys.directory / "secret-audit-signing.key").chmod(0o644)
    with pytest.raises(KeyUnavailable, match="readable by other users"):
        await LocalFileKeyProvider(keys.directory).secret("audit-signing")


async def test_secret_names_are_checked(keys: LocalFileKeyProvider) -> None:
    with pytest.raises(ValueError, match="lowercase"):
        await keys.secret("../escape")


async def test_secret_box(keys: LocalFileKeyProvider) -> None:
    box = await SecretBox.named(keys, "bank-clients")
    token = box.seal("client-secret-value", context="bank-a")
    assert box.open(token, context="bank-a") == b"client-secret-value"
    with pytest.raises(DecryptionFailed):
        box.open(token, context="bank-b")
    again = await SecretBox.named(LocalFileKeyProvider(keys.directory), "bank-clients")
    assert again.open(token, context="bank-a") == b"client-secret-value"
