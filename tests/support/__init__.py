"""Helpers shared by every test area (live servers, ...)."""
