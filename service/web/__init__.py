"""The service's own web pages and the embeddable comment widget.

GET /widget/v1/embed.js                the widget, at the URL article pages embed
GET /widget/v1/embed.{digest}.js       the same file under its content hash (cached for a year)
GET /widget/v1/widget.{digest}.css     the widget's style sheet (cached for a year)
GET /policy                            the standards-board policy, in English and Korean
GET /demo                              development only: an article page with the widget
"""

from __future__ import annotations

from aiohttp import web

from ..appkeys import SETTINGS
from . import assets, demo, policy


def setup_routes(app: web.Application) -> None:
    assets.setup_routes(app)
    policy.setup_routes(app)
    if app[SETTINGS].development:
        demo.setup_routes(app)
