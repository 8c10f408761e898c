"""Readers: users, server-side sessions, and (in `oauth`) social login."""
