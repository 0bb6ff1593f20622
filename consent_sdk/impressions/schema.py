"""The body of ``POST /impressions``: what the banner showed, and how many page views."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

MAX_COUNT = 20
"""The most page views one request may report: a batch, not a way to inflate the count."""


class ImpressionSchema(Schema):
    """``{"language": "lv", "policy_version": "2026-11", "count": 1}``; nothing else is taken."""

    class Meta:
        unknown = RAISE

    language = fields.String(
        required=True, metadata={"description": "the language of the banner shown"}
    )
    policy_version = fields.String(
        required=True, metadata={"description": "the policy version the banner asked about"}
    )
    count = fields.Integer(
        strict=True,
        load_default=1,
        validate=validate.Range(1, MAX_COUNT),
        metadata={"description": "page views that showed the banner"},
    )
