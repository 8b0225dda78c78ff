"""Which commands each person sees in the phone's command menu (and in /help), by role.

Telegram shows a bot's commands per scope: the default scope is what a stranger or a newcomer
sees, and a chat's own scope (BotCommandScopeChat) replaces it for that person. So an officer
is not shown the office's /tiendo, and the office's staff are not shown /baocao.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from conversations import texts
from storage.models import Role

Menu = tuple[tuple[str, str], ...]

# Everyone registered can ask what they can do; a stranger can also register with a link.
STRANGER_COMMANDS = frozenset({"start", "help"})
# The questionnaire's commands, for whoever answers a section of the form.
ANSWERING_COMMANDS = frozenset({"baocao", "xem", "huy"})
ROLE_COMMANDS: dict[Role, frozenset[str]] = {
    Role.OFFICER: frozenset({"lichsu"}),
    Role.CHAIRMAN: frozenset({"lichsu", "noinhan"}),
    Role.VICE_CHAIRMAN: frozenset({"lichsu", "noinhan"}),
    Role.CLERK: frozenset({"lichsu"}),
    Role.OFFICE: frozenset({"tiendo", "tonghop", "lichsu"}),
    Role.ADMIN: frozenset(),
}
# In the office's registered group the bot answers only the office's commands.
OFFICE_GROUP_COMMANDS = frozenset({"tiendo", "tonghop"})


def _in_order(names: Iterable[str]) -> Menu:
    wanted = set(names)
    return tuple((name, about) for name, about in texts.COMMANDS if name in wanted)


STRANGER_MENU: Menu = _in_order(STRANGER_COMMANDS)
OFFICE_GROUP_MENU: Menu = _in_order(OFFICE_GROUP_COMMANDS)


def menu_for(roles: Iterable[Role], *, answers: bool) -> Menu:
    """A registered person's menu: their roles' commands, the questionnaire's when they answer
    a section (`answers`), and /help. /start is left out: they are registered, and a new
    invitation arrives as a link, not as a command typed from the menu."""
    names = {"help"}
    for role in roles:
        names |= ROLE_COMMANDS[role]
    if answers:
        names |= ANSWERING_COMMANDS
    return _in_order(names)


def menu_digest(menu: Menu) -> str:
    """A short fingerprint of a menu (its commands and their descriptions), stored per person
    so a start-up sets only the menus that changed."""
    encoded = json.dumps(menu, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]
