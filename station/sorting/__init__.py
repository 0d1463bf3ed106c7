"""Directed sort: the site's rules say where each unit goes; scans into totes confirm it."""
