"""Passwords, login sessions and login rate limits of the workspace.

Passwords are hashed with Argon2id (argon2-cffi's ``PasswordHasher`` defaults, the RFC 9106
low-memory profile); the database never holds a password. A login is a random token in an
HttpOnly, SameSite=Strict cookie; the database keeps only its SHA-256, with the CSRF token
every state-changing request must carry. The limits (failed logins per user, attempts per
address, session lifetimes, shortest password) are read from ``data/security_limits.csv``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import secrets
import threading
import time
from collections import defaultdict, deque
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from openmrv.categories import check_code
from openmrv.errors import InputError
from openmrv.workspace.db import now
from openmrv.workspace.models import ROLES, LoginSession, User

LIMITS_CSV = Path(__file__).parent / "data" / "security_limits.csv"
_HASHER = PasswordHasher()


@cache
def limits() -> dict[str, float]:
    """The security limits by name (``data/security_limits.csv``, cited there)."""
    with LIMITS_CSV.open(newline="", encoding="utf-8") as fh:
        return {row["name"]: float(row["value"]) for row in csv.DictReader(fh)}


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (refused when shorter than the cited minimum)."""
    shortest = int(limits()["password_min_length"])
    if len(password) < shortest:
        raise InputError(
            f"password has {len(password)} characters; give at least {shortest} "
            "(NIST SP 800-63B 5.1.1.1)",
            field="password",
        )
    return _HASHER.hash(password)


@cache
def _unknown_user_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def password_ok(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; for an unknown user (None) the same work
    is done against a random hash, so the answer's timing does not tell who has an account."""
    if stored_hash is None:
        try:
            _HASHER.verify(_unknown_user_hash(), password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_role(role: str) -> str:
    """``role`` if it is one of :data:`ROLES`, else an InputError listing them."""
    if role not in ROLES:
        raise InputError(f"unknown role '{role}'; use one of {', '.join(ROLES)}", field="--role")
    return role


def add_user(db: Session, name: str, role: str, password: str, sectors: list[str]) -> User:
    """Create a user (the caller commits and writes the audit row)."""
    check_role(role)
    if not name.strip():
        raise InputError("user name is empty", field="NAME")
    if db.scalar(select(User).where(User.name == name)) is not None:
        raise InputError(f"user '{name}' exists already; choose another name", field="NAME")
    if role == "sector_expert" and not sectors:
        raise InputError(
            "a sector_expert needs at least one --sector (an IPCC category prefix, e.g. 1.B)",
            field="--sector",
        )
    codes = [check_code(s, field="--sector") for s in sectors]
    user = User(
        name=name,
        password_hash=hash_password(password),
        role=role,
        sectors=" ".join(codes),
        created_at=now(),
        version=1,
    )
    db.add(user)
    return user


def in_sectors(category: str, sectors: str) -> bool:
    """Whether IPCC ``category`` is one of the space-separated prefixes ``sectors`` or below."""
    return any(category == p or category.startswith(p + ".") for p in sectors.split())


#: the login cookie of the API and the pages
COOKIE = "openmrv_session"


def set_login_cookie(resp, request, token: str) -> None:
    """Put the login ``token`` on ``resp`` as the session cookie: HttpOnly, SameSite
    strict, the session's absolute lifetime, Secure when the request came over HTTPS."""
    resp.set_cookie(
        COOKIE,
        token,
        max_age=int(limits()["session_absolute_timeout"]),
        httponly=True,
        samesite="strict",
        path="/",
        secure=request.url.scheme == "https",
    )


def token_digest(token: str) -> str:
    """SHA-256 (hex) of a login token: what the sessions table keeps."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Session, user: User) -> tuple[str, str]:
    """A new login for ``user``: (cookie token, CSRF token). The caller commits."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    stamp = now()
    db.add(
        LoginSession(
            token_sha256=token_digest(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=stamp,
            last_seen_at=stamp,
            version=1,
        )
    )
    return token, csrf


def session_user(db: Session, token: str | None) -> tuple[User, LoginSession] | None:
    """The user and login of a cookie token, or None when unknown or expired (idle or
    absolute timeout, ``data/security_limits.csv``). Touches the login's last use."""
    if not token:
        return None
    login = db.scalar(select(LoginSession).where(LoginSession.token_sha256 == token_digest(token)))
    if login is None:
        return None
    t = dt.datetime.now(dt.UTC)
    idle = t - dt.datetime.fromisoformat(login.last_seen_at)
    age = t - dt.datetime.fromisoformat(login.created_at)
    lim = limits()
    if idle.total_seconds() > lim["session_idle_timeout"] or (
        age.total_seconds() > lim["session_absolute_timeout"]
    ):
        db.delete(login)
        db.commit()
        return None
    if (t - dt.datetime.fromisoformat(login.last_seen_at)).total_seconds() > 60:
        login.last_seen_at = now()
        login.version += 1
        db.commit()
    user = db.get(User, login.user_id)
    return (user, login) if user is not None else None


class LoginLimiter:
    """Sliding-window counts of failed logins per user name and of attempts per address.

    Kept in the server's memory (one process serves a workspace; docs/workspace.md): a
    restart clears them, which only ever lets a person in sooner.
    """

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._fails: dict[str, deque[float]] = defaultdict(deque)
        self._tries: dict[str, deque[float]] = defaultdict(deque)

    @staticmethod
    def _trim(q: deque[float], since: float) -> None:
        while q and q[0] < since:
            q.popleft()

    def check(self, user: str, address: str) -> float | None:
        """Count an attempt from ``address``; the seconds to wait when ``user`` or ``address``
        is over its limit, else None."""
        lim = limits()
        t = self._clock()
        with self._lock:
            tries, fails = self._tries[address], self._fails[user]
            self._trim(tries, t - lim["login_attempts_window"])
            self._trim(fails, t - lim["login_failures_window"])
            if len(tries) >= lim["login_attempts_per_address"]:
                return tries[0] + lim["login_attempts_window"] - t
            tries.append(t)
            if len(fails) >= lim["login_failures_per_user"]:
                return fails[0] + lim["login_failures_window"] - t
        return None

    def failed(self, user: str) -> None:
        """Record a failed login of ``user``."""
        with self._lock:
            self._fails[user].append(self._clock())

    def succeeded(self, user: str) -> None:
        """A right password clears the user's failures."""
        with self._lock:
            self._fails.pop(user, None)


def authenticate(
    db: Session, limiter: LoginLimiter, name: str, password: str, address: str
) -> tuple[User | None, float | None]:
    """Check a login under the rate limits: (the user, None) when right, (None, seconds to
    wait) when over a limit, (None, None) when wrong. Failures and successes are counted."""
    wait = limiter.check(name, address)
    if wait is not None:
        return None, wait
    found = db.scalar(select(User).where(User.name == name))
    ok = password_ok(None if found is None else found.password_hash, password)
    if found is None or not ok:
        limiter.failed(name)
        return None, None
    limiter.succeeded(name)
    return found, None
