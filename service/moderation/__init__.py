"""Moderation: the claim/lease queue over the shards' Redis streams, atomic decisions, reader
reports, user sanctions, the audit trail and the moderators' API."""
