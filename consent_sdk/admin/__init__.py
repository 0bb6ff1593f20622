"""The site owner's consent dashboard (issue 18): figures per site and period, as SVG."""

from .setup import init_admin as init_admin
