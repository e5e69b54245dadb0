"""Why a page gave no article."""


class NoArticle(Exception):
    """The input holds no article; the message says why, in one line."""


class UnreadableInput(NoArticle):
    """The input is not a page at all: empty, or binary data (an image, an archive…)."""
