"""Why a page gave no article."""


class NoArticle(Exception):
    """The input holds no article; the message says why, in one line."""
