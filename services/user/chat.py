"""Support chat rooms: every message a participant sends reaches everyone in the room.

A room delivers each message to all its participants, the sender included, in one order per
room (messages are stamped and queued under one lock), so every screen shows the same
conversation. Each participant has a bounded outbox; one that falls ``outbox_capacity``
messages behind is disconnected with RESOURCE_EXHAUSTED rather than silently missing messages
or slowing the room down.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from acme.user.v1 import user_service_pb2

from services.common.errors import InvalidArgument, Violation
from services.common.mailbox import CloseReason, Mailbox, Overflow

MAX_TEXT_CHARS = 4096
MAX_ATTACHMENT_BYTES = 1 << 20


@dataclass(eq=False)
class Participant:
    """One chat stream in one room."""

    room_id: str
    user_id: str
    outbox: Mailbox[user_service_pb2.ChatSupportResponse]


class ChatRooms:
    """All the rooms of a server; participants come and go from any thread."""

    def __init__(self, outbox_capacity: int = 256) -> None:
        self.outbox_capacity = outbox_capacity
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._rooms: dict[str, list[Participant]] = defaultdict(list)
        self._closed = False

    def join(
        self,
        first: user_service_pb2.ChatSupportRequest,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> Participant:
        """Enter the room the first message names, then post that message if it has content."""
        violations = []
        if not first.room_id:
            violations.append(Violation("room_id", "the first message must name the room"))
        if not first.user_id:
            violations.append(Violation("user_id", "the first message must name the sender"))
        if violations:
            raise InvalidArgument(violations)
        participant = Participant(
            first.room_id,
            first.user_id,
            Mailbox(
                self.outbox_capacity,
                Overflow.CLOSE,
                loop=loop,
                name=f"chat participant {first.user_id!r} in room {first.room_id!r}",
            ),
        )
        with self._lock:
            if self._closed:
                participant.outbox.close(CloseReason.SHUTDOWN)
                return participant
            self._rooms[participant.room_id].append(participant)
            self._changed.notify_all()
        try:
            self.post(participant, first)
        except InvalidArgument:
            self.leave(participant)
            raise
        return participant

    def post(self, participant: Participant, request: user_service_pb2.ChatSupportRequest) -> None:
        """Send one message to everyone in the participant's room (InvalidArgument if bad)."""
        check_message(participant, request)
        content = request.WhichOneof("content")
        if content is None:
            return  # a join or keep-alive: nothing to deliver
        with self._lock:
            message = user_service_pb2.ChatSupportResponse(
                room_id=participant.room_id, from_user_id=participant.user_id
            )
            if content == "text":
                message.text = request.text
            else:
                message.attachment = request.attachment
            message.sent_at.FromDatetime(datetime.now(UTC))
            for member in self._rooms.get(participant.room_id, ()):
                member.outbox.put(message)

    def leave(
        self, participant: Participant, reason: CloseReason = CloseReason.CLIENT_GONE
    ) -> None:
        """Take a participant out of its room (idempotent) and end its outbox."""
        participant.outbox.close(reason)
        with self._lock:
            members = self._rooms.get(participant.room_id)
            if members is not None and participant in members:
                members.remove(participant)
                if not members:
                    del self._rooms[participant.room_id]
                self._changed.notify_all()

    def close_all(self) -> None:
        """End every chat stream (server shutdown); later joins end at once."""
        with self._lock:
            self._closed = True
            everyone = [member for members in self._rooms.values() for member in members]
        for member in everyone:
            self.leave(member, CloseReason.SHUTDOWN)

    def participant_count(self, room_id: str | None = None) -> int:
        """How many streams are in ``room_id``, or in all rooms."""
        with self._lock:
            return self._count_locked(room_id)

    def wait_for_participants(self, count: int, room_id: str | None, timeout: float) -> bool:
        """Block until ``participant_count(room_id) == count``; False on timeout."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self._count_locked(room_id) == count, timeout=timeout
            )

    def _count_locked(self, room_id: str | None) -> int:
        if room_id is not None:
            return len(self._rooms.get(room_id, ()))
        return sum(len(members) for members in self._rooms.values())


def check_message(participant: Participant, request: user_service_pb2.ChatSupportRequest) -> None:
    """InvalidArgument unless ``request`` may be posted by ``participant``."""
    violations = []
    if request.room_id and request.room_id != participant.room_id:
        violations.append(
            Violation("room_id", f"this stream is in room {participant.room_id!r}; open another")
        )
    if request.user_id and request.user_id != participant.user_id:
        violations.append(Violation("user_id", f"this stream speaks for {participant.user_id!r}"))
    if len(request.text) > MAX_TEXT_CHARS:
        violations.append(Violation("text", f"must be at most {MAX_TEXT_CHARS} characters"))
    if len(request.attachment) > MAX_ATTACHMENT_BYTES:
        violations.append(Violation("attachment", f"must be at most {MAX_ATTACHMENT_BYTES} bytes"))
    if violations:
        raise InvalidArgument(violations)
