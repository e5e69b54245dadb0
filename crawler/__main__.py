"""`python -m crawler` is `kgnews`."""

from crawler.cli import main

main()
