"""Teaching: seminar mode (a student plays one state), plain-language events, the app.

:class:`Game` is the seminar game that both the browser app and ``escalsim play`` drive;
:class:`Narrator` turns events into sentences. The app itself (``escalsim.teaching.app``) needs
the ``app`` extra and is imported only by ``escalsim app``.
"""

from escalsim.teaching.game import MOVES, Debrief, Game, GameError, Situation
from escalsim.teaching.narrate import Narrator

__all__ = ["MOVES", "Debrief", "Game", "GameError", "Narrator", "Situation"]
