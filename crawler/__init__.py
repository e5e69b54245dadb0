"""kgnews: an archive of Kyrgyz-language news.

The package is also the Scrapy project module (see scrapy.cfg).
"""

from crawler._unpacked import unpacked

__version__ = "0.2.0"

# Deployed to a Scrapyd node, the package is imported from inside an egg (a zip file),
# where its data files cannot be opened as files: it then loads its modules from an
# unpacked copy of the egg instead (crawler._unpacked).
__path__ = unpacked(__path__)
