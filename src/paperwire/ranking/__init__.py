"""Ranking: listing calendars and scores, as pure functions."""
