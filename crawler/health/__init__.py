"""Source health: each source's numbers after a crawl, and warnings where they break
from that source's own history (a redesign, a move, a silent feed)."""
