"""The password policy, one rule for every place a password is set (registration, accounts made by the
district or a bank admin, the CLI, a change, a reset), and temporary passwords. Hashing (argon2) stays in
users.py."""
from __future__ import annotations

import secrets
from functools import lru_cache

from ...config import SEED_DIR
from ..core.errors import DomainError

MIN_LENGTH = 10
MAX_LENGTH = 128  # argon2 takes any length; a bound keeps a megabyte "password" from being hashed
COMMON_FILE = SEED_DIR / "common-passwords.txt"
# No 0/O, 1/l/I: a temporary password is read out over the phone.
_TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased (lines starting with # are comments)."""
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _is_simple_pattern(password: str) -> bool:
    """One character over and over, a short piece repeated (abcabcabca), or a run of consecutive characters
    up or down (0123456789, 9876543210, abcdefghij)."""
    text = password.lower()
    for size in range(1, 5):
        unit = text[:size]
        if (unit * (len(text) // size + 1))[: len(text)] == text:
            return True
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:])}
    return steps in ({1}, {-1}) or (text.isdigit() and steps <= {1, -9}) or (text.isdigit() and steps <= {-1, 9})


def check(password: str | None, username: str | None = None, field: str = "password") -> str:
    """The password if the policy allows it; otherwise a DomainError naming `field` and the reason."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise DomainError("密码至少%(n)d位", field=field, n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise DomainError("密码不能超过%(n)d位", field=field, n=MAX_LENGTH)
    if username and password.strip().lower() == username.strip().lower():
        raise DomainError("密码不能与用户名相同", field=field)
    if password.lower() in common_passwords() or _is_simple_pattern(password):
        raise DomainError("密码过于常见或过于简单，请换一个更难猜的密码", field=field)
    return password


def temporary_password() -> str:
    """A random 12-character password for a reset (about 69 bits), which the user must change at first use."""
    while True:
        candidate = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(12))
        try:
            return check(candidate)
        except DomainError:  # pragma: no cover - astronomically unlikely
            continue
