"""Consent that follows a signed-in customer across devices and browsers (issue 20)."""

from __future__ import annotations

from .follow import SESSION_KEY as SESSION_KEY
from .follow import Accounts as Accounts
from .follow import init_accounts as init_accounts
from .links import ACCOUNT as ACCOUNT
from .links import AccountLinks as AccountLinks
from .links import prune as prune
from .refs import AccountKeys as AccountKeys
from .refs import user_ref as user_ref
