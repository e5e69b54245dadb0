"""kgnews: an archive of Kyrgyz-language news.

The package is also the Scrapy project module (see scrapy.cfg).
"""

__version__ = "0.2.0"
