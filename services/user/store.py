"""The in-memory user accounts, safe to read and change from many threads."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from acme.user.v1 import user_pb2

from services.common.errors import InvalidArgument, NotFound, Violation

#: The ``resource_type`` named in NOT_FOUND details.
USER_RESOURCE = "acme.user.v1.User"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KNOWN_ROLES = frozenset(
    value.number
    for value in user_pb2.Role.DESCRIPTOR.values
    if value.number != user_pb2.ROLE_UNSPECIFIED
)


@dataclass(frozen=True)
class UserRecord:
    """One account as the store keeps it."""

    id: str
    name: str
    email: str
    roles: tuple[int, ...] = ()
    nickname: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class NewUser:
    """A user to create, before it has an id."""

    name: str
    email: str
    roles: tuple[int, ...] = ()
    nickname: str | None = None


class ChangeRejected(Exception):
    """One change of an update stream could not be applied; the message says why."""


def email_problem(email: str) -> str | None:
    """Why an email address is unusable, or None."""
    if not email:
        return "must not be empty"
    if not _EMAIL.match(email):
        return f"{email!r} is not an email address"
    return None


def roles_problem(roles: Iterable[int]) -> str | None:
    """Why a set of roles is unusable, or None."""
    unknown = sorted(set(roles) - _KNOWN_ROLES)
    if unknown:
        return f"unknown or unspecified roles {unknown}"
    return None


class UserStore:
    """Accounts keyed by id, with unique email addresses."""

    def __init__(self, users: Iterable[UserRecord] = ()) -> None:
        self._lock = threading.Lock()
        self._users: dict[str, UserRecord] = {}
        self._next_number = 1
        for user in users:
            self._users[user.id] = user
        self._next_number = len(self._users) + 1

    @classmethod
    def with_sample_data(cls) -> UserStore:
        """A few accounts for running the example."""
        created = datetime(2024, 1, 15, 9, 30, tzinfo=UTC)
        return cls(
            [
                UserRecord("u-0001", "Ada Lovelace", "ada@example.com", (1,), "ada", created),
                UserRecord("u-0002", "Grace Hopper", "grace@example.com", (2,), None, created),
                UserRecord("u-0003", "Alan Turing", "alan@example.com", (1,), None, created),
                UserRecord(
                    "u-0004", "Edsger Dijkstra", "edsger@example.com", (2, 3), "ewd", created
                ),
                UserRecord("u-0005", "Barbara Liskov", "barbara@example.com", (1,), None, created),
            ]
        )

    def __len__(self) -> int:
        with self._lock:
            return len(self._users)

    def get(self, user_id: str) -> UserRecord:
        """One user: InvalidArgument for an empty id, NotFound for an unknown one."""
        if not user_id:
            raise InvalidArgument([Violation("id", "must not be empty")])
        with self._lock:
            user = self._users.get(user_id)
        if user is None:
            raise NotFound(USER_RESOURCE, user_id, f"no user with id {user_id!r}")
        return user

    def snapshot(self, role: int = user_pb2.ROLE_UNSPECIFIED) -> list[UserRecord]:
        """A consistent snapshot of the users (holding ``role`` when set), ordered by id."""
        with self._lock:
            users = sorted(self._users.values(), key=lambda user: user.id)
        if role == user_pb2.ROLE_UNSPECIFIED:
            return users
        return [user for user in users if role in user.roles]

    def change(
        self,
        user_id: str,
        *,
        name: str | None = None,
        email: str | None = None,
        roles: Sequence[int] | None = None,
    ) -> UserRecord:
        """Apply one change; ChangeRejected says why it cannot be applied."""
        if not user_id:
            raise ChangeRejected("id must not be empty")
        if name is not None and not name.strip():
            raise ChangeRejected("name must not be empty")
        if email is not None and (problem := email_problem(email)):
            raise ChangeRejected(f"email {problem}")
        if roles is not None and (problem := roles_problem(roles)):
            raise ChangeRejected(f"roles: {problem}")
        with self._lock:
            user = self._users.get(user_id)
            if user is None:
                raise ChangeRejected(f"no user with id {user_id!r}")
            if email is not None and self._email_owner_locked(email) not in (None, user_id):
                raise ChangeRejected(f"email {email!r} belongs to another user")
            changed = replace(
                user,
                name=user.name if name is None else name,
                email=user.email if email is None else email,
                roles=user.roles if roles is None else tuple(dict.fromkeys(roles)),
            )
            self._users[user_id] = changed
        return changed

    def create(self, new_users: Sequence[NewUser]) -> list[UserRecord]:
        """Create every user or none: InvalidArgument names each offending field."""
        violations = validate_new_users(new_users)
        if violations:
            raise InvalidArgument(violations)
        with self._lock:
            taken = [
                Violation(f"users[{index}].email", f"{user.email!r} is already taken")
                for index, user in enumerate(new_users)
                if self._email_owner_locked(user.email) is not None
            ]
            if taken:
                raise InvalidArgument(taken)
            created = []
            for user in new_users:
                record = UserRecord(
                    id=f"u-{self._next_number:04d}",
                    name=user.name,
                    email=user.email,
                    roles=tuple(dict.fromkeys(user.roles)),
                    nickname=user.nickname,
                )
                self._next_number += 1
                self._users[record.id] = record
                created.append(record)
        return created

    def _email_owner_locked(self, email: str) -> str | None:
        folded = email.casefold()
        for user in self._users.values():
            if user.email.casefold() == folded:
                return user.id
        return None


def validate_new_users(new_users: Sequence[NewUser]) -> list[Violation]:
    """Every problem of a batch on its own (the store checks uniqueness against itself)."""
    violations: list[Violation] = []
    seen: dict[str, int] = {}
    for index, user in enumerate(new_users):
        where = f"users[{index}]"
        if not user.name.strip():
            violations.append(Violation(f"{where}.name", "must not be empty"))
        if problem := email_problem(user.email):
            violations.append(Violation(f"{where}.email", problem))
        elif (first := seen.setdefault(user.email.casefold(), index)) != index:
            violations.append(
                Violation(f"{where}.email", f"{user.email!r} repeats users[{first}].email")
            )
        if problem := roles_problem(user.roles):
            violations.append(Violation(f"{where}.roles", problem))
    return violations
