"""Accounts, sessions, CSRF tokens and the headers every response carries.

- Passwords are hashed with `hashlib.scrypt` (n=2**14, r=8, p=1, a 16-byte salt), stored as
  ``scrypt$n$r$p$salt$hash`` and compared in constant time.
- `LOCK_AFTER` failed logins in a row lock an account for `LOCK_MINUTES` minutes.
- A session is a random token in an HttpOnly, SameSite=Strict cookie; each session has its
  own CSRF token, which every form sends back (``csrf`` field) and every POST checks.
  On 127.0.0.1 without accounts a session has no user; beyond loopback every page but the
  login page needs a logged-in user.
- `HEADERS`: a Content-Security-Policy that loads nothing but this server's own scripts
  and styles (no inline script, no framing), X-Content-Type-Options, Referrer-Policy.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from matcher.web.store import Store, now

COOKIE = "matcher_session"
LOCK_AFTER = 5
LOCK_MINUTES = 15
SESSION_HOURS = 12
MIN_PASSWORD = 10
_N, _R, _P = 2**14, 8, 1

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# report.html is one self-contained page with its own styles and no script
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class AccountError(ValueError):
    """An account that cannot be created (name taken, password too short); Chinese text."""


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``: where no account is needed."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def hash_password(password: str) -> str:
    """The stored form of a password (scrypt with a fresh salt)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """True when `password` matches the stored form."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def add_user(store: Store, name: str, password: str) -> None:
    """Create an account (raises `AccountError`)."""
    name = name.strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        raise AccountError("用户名不能为空、不能含空格，最长64个字符")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符")
    if store.one("SELECT name FROM users WHERE name = ?", (name,)):
        raise AccountError(f"用户“{name}”已存在")
    store.execute("INSERT INTO users (name, hash) VALUES (?, ?)", (name, hash_password(password)))


def has_users(store: Store) -> bool:
    """True when at least one account exists."""
    return store.one("SELECT name FROM users LIMIT 1") is not None


def login(store: Store, name: str, password: str) -> tuple[bool, str]:
    """Check a login: (ok, Chinese message). Counts failures and locks the account."""
    user = store.one("SELECT * FROM users WHERE name = ?", (name.strip(),))
    moment = datetime.now(UTC)
    if user is None:
        hash_password(password)  # the same work as for a real account
        return False, "用户名或密码错误"
    if user["locked_until"] and datetime.fromisoformat(user["locked_until"]) > moment:
        return False, f"连续 {LOCK_AFTER} 次登录失败，账户已锁定 {LOCK_MINUTES} 分钟，请稍后再试"
    if not check_password(password, user["hash"]):
        failures = user["failures"] + 1
        until = None
        if failures >= LOCK_AFTER:
            until = (moment + timedelta(minutes=LOCK_MINUTES)).replace(microsecond=0).isoformat()
            failures = 0
        store.execute(
            "UPDATE users SET failures = ?, locked_until = ? WHERE name = ?",
            (failures, until, user["name"]),
        )
        if until:
            return False, f"连续 {LOCK_AFTER} 次登录失败，账户已锁定 {LOCK_MINUTES} 分钟"
        return False, "用户名或密码错误"
    store.execute(
        "UPDATE users SET failures = 0, locked_until = NULL WHERE name = ?", (user["name"],)
    )
    return True, ""


def new_session(store: Store, user: str | None = None) -> dict[str, Any]:
    """A new session (token, user, csrf, expires), stored."""
    expires = (datetime.now(UTC) + timedelta(hours=SESSION_HOURS)).replace(microsecond=0)
    session = {
        "token": secrets.token_urlsafe(32),
        "user": user,
        "csrf": secrets.token_urlsafe(32),
        "expires": expires.isoformat(),
    }
    store.execute("INSERT INTO sessions VALUES (:token, :user, :csrf, :expires)", session)
    return session


def find_session(store: Store, token: str | None) -> dict[str, Any] | None:
    """The unexpired session of a cookie's token, or None."""
    if not token:
        return None
    session = store.one("SELECT * FROM sessions WHERE token = ?", (token,))
    if session is None or session["expires"] < now():
        return None
    return session


def end_session(store: Store, token: str) -> None:
    """Forget a session (logout)."""
    store.execute("DELETE FROM sessions WHERE token = ?", (token,))


def forget_expired(store: Store) -> None:
    """Delete the sessions that have expired."""
    store.execute("DELETE FROM sessions WHERE expires < ?", (now(),))


def csrf_ok(session: dict[str, Any] | None, sent: str | None) -> bool:
    """True when the token sent with a form is the session's own."""
    return bool(session and sent and hmac.compare_digest(session["csrf"], sent))
