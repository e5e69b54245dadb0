"""Scrapy settings for kgnews: politeness, timeouts and size limits, in one place.

Every value here is a default a site's entry in the sources registry or the command
line may tighten: a source's `delay` and `concurrency` become its download slot, and
robots.txt Crawl-delay raises that slot's delay (Scrapy parses Crawl-delay but does
not apply it; crawler.politeness does).
"""

import os

from crawler import __version__
from crawler.health.judge import Thresholds

_health = Thresholds()

BOT_NAME = "kgnews"
SPIDER_MODULES = ["crawler.spiders"]
COMMANDS_MODULE = "crawler.scrapy_commands"  # `scrapy crawl news`: mistakes in one line
NEWSPIDER_MODULE = "crawler.spiders"

# Who we are, and where to complain. Set KGNEWS_CONTACT_URL to your own page.
KGNEWS_CONTACT_URL = "https://github.com/kgnews/kgnews"
USER_AGENT = f"kgnews/{__version__} (Kyrgyz news archive; +{KGNEWS_CONTACT_URL})"

# Politeness.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16  # over all sites together
CONCURRENT_REQUESTS_PER_DOMAIN = 1  # one request at a time per site unless its source says
DOWNLOAD_DELAY = 1.0  # seconds between requests to one site (a source's `delay` overrides)
DOWNLOAD_DELAY_JITTER = 0.5  # up to 50 % more; never less (crawler.politeness.pacing)
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# A page gives one item (a feed or listing: links, handled at once). Scrapy starts
# CONCURRENT_ITEMS tasks for every response whatever it yields: 100 by default, a
# fifth of the crawl's time on a fast site. Pages still overlap: across responses.
CONCURRENT_ITEMS = 4

# Bounds: a page is at most 10 MiB (Scrapy's default is 1 GiB), and waits at most 30 s.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
DNS_TIMEOUT = 15
REDIRECT_MAX_TIMES = 5
DOWNLOAD_FAIL_ON_DATALOSS = True  # a page that stops half way is an error, not an article

# Retries with backoff on 429 and 5xx, honouring Retry-After (crawler.middlewares).
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
KGNEWS_RETRY_BACKOFF_BASE = 2.0  # seconds; doubled on each retry of a request
KGNEWS_RETRY_AFTER_MAX = 600.0  # a Retry-After longer than this gives up on the page

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfterMiddleware": 550,
    "crawler.middlewares.PageBudget": 150,  # after the robots.txt check (100)
}
KGNEWS_MAX_PAGES = 0  # kgnews crawl --max-pages: 0 for no limit
EXTENSIONS = {
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.politeness.PoliteThrottle": 0,
    "crawler.politeness.CrawlDelay": 0,
    "crawler.progress.Progress": 500,
    "crawler.capture.extension.WarcCapture": 100,
    "scrapy.extensions.telnet.TelnetConsole": None,
}
ITEM_PIPELINES = {"crawler.pipelines.ArchivePipeline": 300}
# Scrapy 2.19's remote control listens on a port for code to run in the crawler and
# writes a job file under ~/.local/state/scrapy for each crawl (left behind when one is
# killed): an archive that runs for months from a timer wants neither.
REMOTE_CONTROL_ENABLED = False

# Where the archive is (--db, else KGNEWS_DATABASE_URL, else ./kgnews.sqlite3).
KGNEWS_DATABASE_URL = None

# Raw responses in WARC files (crawler.capture): a directory, "" for none, or unset for
# $KGNEWS_WARC_DIR (a crawl node's environment, docs/scaling.md), else beside the SQLite
# file (archive.sqlite3 → archive-warc/), else ./kgnews-warc.
KGNEWS_WARC_DIR = os.environ.get("KGNEWS_WARC_DIR") or None  # (empty: unset, not "no WARC")
KGNEWS_WARC_MAX_BYTES = 1024**3  # a file rotates past 1 GiB

# A crawl node's name (docs/scaling.md): `kgnews schedule` gives each Scrapyd job its
# node's (else $KGNEWS_NODE). It goes into crawl_runs.node, and the node's WARC files
# into a folder of that name inside the WARC directory, which the records' places
# name: folders gathered from every node under one directory are one archive's.
KGNEWS_NODE = os.environ.get("KGNEWS_NODE") or None

# A database that goes away mid-crawl (crawler.pipelines): each write is tried again with
# backoff for this long; then the crawl stops and says so (what was not written is
# fetched again by the next run).
KGNEWS_DB_RETRY_SECONDS = 120.0
KGNEWS_DB_RETRY_BACKOFF_BASE = 0.5  # seconds, doubled on each try
KGNEWS_DB_RETRY_BACKOFF_MAX = 10.0

# Fetches are written a batch at a time, in one transaction each (crawler.store.batch):
# when this many are queued, or this many seconds after the first of them, whichever
# comes first. A batch the database refuses is written again one fetch at a time. A
# crash loses at most the batch not yet written: its pages are fetched again next run.
KGNEWS_WRITE_BATCH_SIZE = 100  # 1: every fetch in a transaction of its own
KGNEWS_WRITE_BATCH_SECONDS = 1.0

# Extraction runs in worker processes, one per core, off the crawl's event loop; 0 runs
# it in the crawl's own process. A page whose extraction runs longer than the timeout
# (or kills its worker) becomes an error fetch, and a new worker takes over.
KGNEWS_EXTRACT_WORKERS = None  # None: one per core
KGNEWS_EXTRACT_TIMEOUT = 120.0  # seconds a page may take

# Discovery bounds per source and run.
KGNEWS_MAX_SITEMAPS = 10  # child sitemaps followed from one sitemap index
KGNEWS_MAX_SITEMAP_URLS = 2000  # article URLs taken from one sitemap

# Source health after each crawl (crawler.health, docs/health.md): when a source's numbers
# break from its own history, `kgnews crawl` and `kgnews health` warn. The defaults are
# crawler.health.judge.Thresholds'; each is documented there.
KGNEWS_HEALTH_SELECTOR_MIN_SHARE = _health.selector_min_share  # body selector hit share
KGNEWS_HEALTH_SHRINK_FACTOR = _health.shrink_factor  # median words against earlier runs'
KGNEWS_HEALTH_MIN_PAGES = _health.min_pages  # pages before words or languages are judged
KGNEWS_HEALTH_SILENCE_FACTOR = _health.silence_factor  # usual gaps without a new article…
KGNEWS_HEALTH_MIN_SILENCE_HOURS = _health.min_silence_hours  # …and at least this long
KGNEWS_HEALTH_REFUSED_MIN_PAGES = _health.refused_min_pages  # pages before "all refused"
KGNEWS_HEALTH_OFF_LANGUAGE_SHARE = _health.off_language_share  # pages in another language
KGNEWS_HEALTH_REDIRECT_SHARE = _health.redirect_share  # article fetches sent off the site

LOG_LEVEL = "INFO"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
