"""Which parts of the screen changed since the last look: the X server's DAMAGE extension.

A screenshot used to grab the whole screen (about as long as everything else in
the call together) just to learn that nothing, or a 64x64 square, had changed.
The X server knows: a Damage object on the root window accumulates every region
any client draws to (Xvnc renders everything itself, so nothing bypasses it), and
one round trip moves that region into an XFixes region we read and empties it.

Never misses a change: the region is taken (DamageSubtract) before the changed
rows are grabbed, so a change made after the take, even during our grab, stays
in the Damage object and is taken the next time. Level NonEmpty: the server sends
one DamageNotify per empty-to-non-empty transition, which we discard.

python-xlib (0.33) has DAMAGE but lacks XFixes' region requests; the three we
need are declared below from the XFixes protocol specification (version 2.0:
CreateRegion = 5, DestroyRegion = 10, FetchRegion = 19).
"""

import Xlib.display
import Xlib.X
from Xlib.ext import damage
from Xlib.protocol import rq, structs

XFIXES = "XFIXES"
Rectangle = tuple[int, int, int, int]  # x, y, width, height


class _CreateRegion(rq.Request):
    _request = rq.Struct(rq.Card8("opcode"), rq.Opcode(5), rq.RequestLength(), rq.Card32("region"),
                         rq.List("rectangles", structs.Rectangle))


class _DestroyRegion(rq.Request):
    _request = rq.Struct(rq.Card8("opcode"), rq.Opcode(10), rq.RequestLength(), rq.Card32("region"))


class _FetchRegion(rq.ReplyRequest):
    _request = rq.Struct(rq.Card8("opcode"), rq.Opcode(19), rq.RequestLength(), rq.Card32("region"))
    _reply = rq.Struct(rq.ReplyCode(), rq.Pad(1), rq.Card16("sequence_number"), rq.ReplyLength(),
                       rq.Object("extents", structs.Rectangle), rq.Pad(16),
                       rq.List("rectangles", structs.Rectangle))


class DamageUnavailable(RuntimeError):
    """The X server lacks DAMAGE 1.1 or XFixes 2.0 (callers fall back to comparing full grabs)."""


class ScreenDamage:
    """Changed rectangles of the screen since the previous `take()`, on a connection of its own."""

    def __init__(self, display_name: str):
        self.connection = Xlib.display.Display(display_name)
        try:
            if not (self.connection.has_extension("DAMAGE") and self.connection.has_extension(XFIXES)):
                raise DamageUnavailable("the X server has no DAMAGE or XFIXES extension")
            # Both extensions need the client's version announced before any other request.
            if self.connection.xfixes_query_version().major_version < 2:
                raise DamageUnavailable("XFixes regions need version 2")
            self.connection.damage_query_version()
            self.opcode = self.connection.display.get_extension_major(XFIXES)
            root = self.connection.screen().root
            self.damage = root.damage_create(damage.DamageReportNonEmpty)
            self.region = self.connection.display.allocate_resource_id()
            _CreateRegion(display=self.connection.display, opcode=self.opcode, region=self.region, rectangles=[])
            self.connection.sync()
        except BaseException:
            self.connection.close()
            raise

    def take(self) -> list[Rectangle]:
        """What was drawn since the last take (since creation, for the first one), and forget it."""
        self.connection.damage_subtract(self.damage, Xlib.X.NONE, self.region)
        reply = _FetchRegion(display=self.connection.display, opcode=self.opcode, region=self.region)
        while self.connection.pending_events():  # DamageNotify events: the region says it all
            self.connection.next_event()
        return [(r.x, r.y, r.width, r.height) for r in reply.rectangles]

    def close(self) -> None:
        try:
            _DestroyRegion(display=self.connection.display, opcode=self.opcode, region=self.region)
            self.connection.damage_destroy(self.damage)
        finally:
            self.connection.close()
