"""Envelope encryption at rest: KeyProvider (master keys), EnvelopeCipher (per-customer data keys), SecretBox."""

from sarraf.policy.crypto.envelope import (
    KEY_CHECK_OWNER,
    DataKeyStore,
    EnvelopeCipher,
    open_with,
    rotate_master_key,
    seal_with,
)
from sarraf.policy.crypto.keys import (
    CryptoError,
    DataKeyShredded,
    DecryptionFailed,
    KeyProvider,
    KeyUnavailable,
    WrappedKey,
)
from sarraf.policy.crypto.local_keys import LocalFileKeyProvider
from sarraf.policy.crypto.secretbox import SecretBox

__all__ = [
    "KEY_CHECK_OWNER",
    "CryptoError",
    "DataKeyShredded",
    "DataKeyStore",
    "DecryptionFailed",
    "EnvelopeCipher",
    "KeyProvider",
    "KeyUnavailable",
    "LocalFileKeyProvider",
    "SecretBox",
    "WrappedKey",
    "open_with",
    "rotate_master_key",
    "seal_with",
]
