"""Session analysis: each user action in, one finding about its session out.

The rules are deliberately small and deterministic (they read the action's own timestamp when
it has one), so a client can rely on what it gets back:

- ``rage_click``: the third or later click on the same target within one second;
- ``long_pause``: an action 30 seconds or more after the previous one in the session;
- ``error_seen``: the action is ``error``;
- ``normal``: none of the above.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from acme.analytics.v1 import analytics_service_pb2

from services.common.errors import InvalidArgument, Violation

_pb = analytics_service_pb2
RAGE_CLICK_WINDOW = 1.0
RAGE_CLICK_COUNT = 3
LONG_PAUSE = 30.0
#: Sessions one stream may analyse at once; the least recently active one is forgotten first.
MAX_SESSIONS_PER_STREAM = 1000


@dataclass
class _Session:
    actions_seen: int = 0
    last_at: float | None = None
    clicks: deque[tuple[str, float]] = field(default_factory=deque)


class SessionAnalyzer:
    """The state of the sessions one AnalyzeSession stream talks about."""

    def __init__(self) -> None:
        self._sessions: OrderedDict[str, _Session] = OrderedDict()

    def analyze(self, request: _pb.AnalyzeSessionRequest) -> _pb.AnalyzeSessionResponse:
        """The finding for one more action; InvalidArgument for a malformed request."""
        violations = []
        if not request.session_id:
            violations.append(Violation("session_id", "must not be empty"))
        if not request.action.action:
            violations.append(Violation("action.action", "must name what the user did"))
        if violations:
            raise InvalidArgument(violations)
        session = self._session(request.session_id)
        action = request.action
        at = action.at.ToNanoseconds() / 1e9 if action.HasField("at") else time.time()
        session.actions_seen += 1
        insight, confidence = "normal", 0.9
        if action.action == "click":
            session.clicks.append((action.target, at))
            while session.clicks and at - session.clicks[0][1] > RAGE_CLICK_WINDOW:
                session.clicks.popleft()
            same = sum(1 for target, _ in session.clicks if target == action.target)
            if same >= RAGE_CLICK_COUNT:
                insight, confidence = "rage_click", min(1.0, 0.5 + 0.1 * same)
        if (
            insight == "normal"
            and session.last_at is not None
            and at - session.last_at >= LONG_PAUSE
        ):
            insight, confidence = "long_pause", 0.6
        if insight == "normal" and action.action == "error":
            insight, confidence = "error_seen", 1.0
        session.last_at = at
        return _pb.AnalyzeSessionResponse(
            session_id=request.session_id,
            insight=insight,
            confidence=confidence,
            actions_seen=session.actions_seen,
        )

    def _session(self, session_id: str) -> _Session:
        session = self._sessions.get(session_id)
        if session is None:
            session = self._sessions[session_id] = _Session()
            if len(self._sessions) > MAX_SESSIONS_PER_STREAM:
                self._sessions.popitem(last=False)
        else:
            self._sessions.move_to_end(session_id)
        return session
