"""`kgnews verify`: the archive's fsck. Every promise the archive makes, checked against
its rows (crawler.verify.rows) and, with --warc, its raw pages (crawler.verify.records);
one line per violation, with the ids to look at. A kept page that today's extraction
reads otherwise is reported as drift (kgnews reextract), not as a violation."""
