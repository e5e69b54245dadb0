"""Work on every core: extraction in worker processes, fed from the crawl's event loop."""
