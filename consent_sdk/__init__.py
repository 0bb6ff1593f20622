"""consent_sdk: honest cookie consent for Flask sites."""

from __future__ import annotations

from .config import ConsentConfig as ConsentConfig
from .decorators import requires_consent as requires_consent
from .exceptions import ConfigurationError as ConfigurationError
from .exceptions import ConsentConfigWarning as ConsentConfigWarning
from .exceptions import ConsentError as ConsentError
from .exceptions import ConsentRequired as ConsentRequired
from .exceptions import RateLimited as RateLimited
from .exceptions import StoreUnavailable as StoreUnavailable
from .exceptions import UnknownPurposeError as UnknownPurposeError
from .extension import ConsentManager as ConsentManager
from .purposes import Purpose as Purpose
from .signals import consent_changed as consent_changed
from .signals import consent_given as consent_given
from .signals import consent_withdrawn as consent_withdrawn
from .state import ConsentState as ConsentState
from .state import current_consent as current_consent
from .state import has_consent as has_consent
from .templating import consent_banner as consent_banner

__version__ = "0.1.0"
