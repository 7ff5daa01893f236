"""Bringing posts, comments and images over from other publishing systems.

``blocks_from_html`` turns an article's HTML into the body blocks of ``blog.blocks`` and
knows nothing of any export format; ``wordpress`` reads WordPress exports and stores
what the recognizer made.
"""
