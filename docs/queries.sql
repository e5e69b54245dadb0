-- Example queries on a kgnews archive, for sqlite3, psql, Datasette or pandas.
--
-- Each query starts with "-- name:". Most are the same SQL on SQLite and PostgreSQL;
-- where they differ (date arithmetic, JSON), the two versions follow each other,
-- marked "-- dialect: sqlite" and "-- dialect: postgresql". tests/test_queries.py runs
-- every one on both against a crawled archive and checks what it returns.
--
-- Times are stored in UTC. On SQLite a timestamp is text ('2024-06-08 04:05:00.000000');
-- on PostgreSQL a timestamptz, shown (and cut into days and months below) in the
-- session's time zone: `SET TIME ZONE 'UTC';` first for UTC days.
-- Replace the example URL with one of yours (`SELECT url FROM articles LIMIT 5;`).


-- name: articles_per_day
-- How many articles each source published per day (newest days first).
SELECT s.key AS source, substr(CAST(a.published_at AS TEXT), 1, 10) AS day, count(*) AS articles
  FROM articles a
  JOIN sources s ON s.id = a.source_id
 WHERE a.published_at IS NOT NULL
 GROUP BY s.key, substr(CAST(a.published_at AS TEXT), 1, 10)
 ORDER BY day DESC, source;


-- name: current_text
-- The current text of one article: title, lead and body (one paragraph a line).
SELECT title, lead, body, version, fetched_at
  FROM latest_versions
 WHERE url = 'https://www.azattyk.org/a/32981204.html';


-- name: all_versions
-- Every version of one article, oldest first, with how much each changed.
SELECT v.version, v.fetched_at, v.title, v.word_count, v.chars_added, v.chars_removed, v.extractor
  FROM article_versions v
  JOIN articles a ON a.id = v.article_id
 WHERE a.url = 'https://www.azattyk.org/a/32981204.html'
 ORDER BY v.version;


-- name: edited_late
-- Articles edited more than 24 hours after they were published (with the first such edit).
-- (late_edits holds that first edit, kept by the database as versions are written.)
SELECT s.key AS source, a.url, a.published_at, e.first_late_edit_at AS first_late_edit
  FROM late_edits e
  JOIN articles a ON a.id = e.article_id
  JOIN sources s ON s.id = a.source_id
 ORDER BY e.first_late_edit_at DESC, a.id;


-- name: title_changes
-- Articles whose title changed: the title before and after, and when.
SELECT source, url, version, fetched_at, previous_title, title
  FROM version_changes
 WHERE title_changed
 ORDER BY fetched_at DESC, url;


-- name: most_edited_this_week
-- The most-edited articles of the last seven days (edits seen in that time). The week's
-- edits are counted first, on the versions' index by time (the unary + keeps SQLite's
-- planner on it); only the winners' articles are read.
-- dialect: sqlite
SELECT s.key AS source, a.url, e.edits, e.chars_changed
  FROM (SELECT article_id, count(*) AS edits, sum(chars_added + chars_removed) AS chars_changed
          FROM article_versions
         WHERE version > 1 AND fetched_at >= datetime('now', '-7 days')
         GROUP BY +article_id) e
  JOIN articles a ON a.id = e.article_id
  JOIN sources s ON s.id = a.source_id
 ORDER BY e.edits DESC, e.chars_changed DESC, a.url
 LIMIT 20;

-- name: most_edited_this_week
-- dialect: postgresql
SELECT s.key AS source, a.url, e.edits, e.chars_changed
  FROM (SELECT article_id, count(*) AS edits, sum(chars_added + chars_removed) AS chars_changed
          FROM article_versions
         WHERE version > 1 AND fetched_at >= now() - INTERVAL '7 days'
         GROUP BY article_id) e
  JOIN articles a ON a.id = e.article_id
  JOIN sources s ON s.id = a.source_id
 ORDER BY e.edits DESC, e.chars_changed DESC, a.url
 LIMIT 20;


-- name: new_since_last_run
-- Articles first seen during the latest crawl run.
SELECT s.key AS source, a.url, a.first_seen_at
  FROM articles a
  JOIN sources s ON s.id = a.source_id
 WHERE a.first_seen_at >= (SELECT max(started_at) FROM crawl_runs)
 ORDER BY a.first_seen_at, a.url;


-- name: fetch_errors
-- Failed fetches per source, with the most recent reason.
SELECT s.key AS source, count(*) AS errors, max(f.fetched_at) AS last_error,
       (SELECT e.error FROM fetches e WHERE e.source_id = s.id AND e.outcome = 'error'
         ORDER BY e.fetched_at DESC, e.id DESC LIMIT 1) AS last_reason
  FROM fetches f
  JOIN sources s ON s.id = f.source_id
 WHERE f.outcome = 'error'
 GROUP BY s.id, s.key
 ORDER BY errors DESC, source;


-- name: words_per_month
-- Words archived per month: every version's words, by the month it was fetched.
SELECT substr(CAST(fetched_at AS TEXT), 1, 7) AS month, count(*) AS versions, sum(word_count) AS words
  FROM article_versions
 GROUP BY substr(CAST(fetched_at AS TEXT), 1, 7)
 ORDER BY month;


-- name: latest_per_source
-- The three most recently published articles of each source (each source's three are
-- read from the (source_id, published_at) index; only the winners' texts are read).
-- dialect: sqlite
SELECT s.key AS source, a.url, a.published_at, v.title
  FROM sources s
  JOIN articles a ON a.id IN (SELECT x.id FROM articles x
                               WHERE x.source_id = s.id AND x.published_at IS NOT NULL
                               ORDER BY x.published_at DESC, x.url LIMIT 3)
  JOIN article_versions v ON v.id = a.current_version_id
 ORDER BY source, a.published_at DESC;

-- name: latest_per_source
-- dialect: postgresql
SELECT s.key AS source, a.url, a.published_at, v.title
  FROM sources s
 CROSS JOIN LATERAL (SELECT x.url, x.published_at, x.current_version_id FROM articles x
                      WHERE x.source_id = s.id AND x.published_at IS NOT NULL
                      ORDER BY x.published_at DESC, x.url LIMIT 3) a
  JOIN article_versions v ON v.id = a.current_version_id
 ORDER BY source, a.published_at DESC;


-- name: recent_runs
-- Recent crawl runs: how long they took and what they found.
-- dialect: sqlite
SELECT id, started_at, status, round((julianday(finished_at) - julianday(started_at)) * 86400) AS seconds,
       new_count, changed_count, unchanged_count, not_modified_count, skipped_count, error_count
  FROM crawl_runs
 ORDER BY id DESC
 LIMIT 20;

-- name: recent_runs
-- dialect: postgresql
SELECT id, started_at, status, round(extract(epoch FROM finished_at - started_at)) AS seconds,
       new_count, changed_count, unchanged_count, not_modified_count, skipped_count, error_count
  FROM crawl_runs
 ORDER BY id DESC
 LIMIT 20;


-- name: top_authors
-- Authors with the most articles (current versions; current_authors lists their authors).
SELECT author, count(*) AS articles
  FROM current_authors
 GROUP BY author
 ORDER BY articles DESC, author
 LIMIT 20;


-- name: revisits_answered_304
-- How often fetching a known article again cost the site a 304 only, per source.
SELECT s.key AS source,
       sum(CASE WHEN f.outcome = 'not_modified' THEN 1 ELSE 0 END) AS not_modified,
       count(*) AS revisits,
       round(100.0 * sum(CASE WHEN f.outcome = 'not_modified' THEN 1 ELSE 0 END) / count(*), 1) AS percent
  FROM fetches f
  JOIN sources s ON s.id = f.source_id
 WHERE f.outcome IN ('not_modified', 'unchanged', 'changed')
 GROUP BY s.key
 ORDER BY percent DESC, source;


-- name: words_per_language
-- The size of the corpus: current texts and their words, per language.
SELECT coalesce(language, '?') AS language, count(*) AS articles, sum(word_count) AS words
  FROM article_versions
 WHERE +id IN (SELECT current_version_id FROM articles)  -- (+: read from the index of
                                                          -- small columns, not each row)
 GROUP BY coalesce(language, '?')
 ORDER BY words DESC;


-- name: source_date_index
-- One source's articles in a time window: the query the (source_id, published_at) index serves.
SELECT a.url, a.published_at
  FROM articles a
 WHERE a.source_id = (SELECT id FROM sources WHERE key = 'azattyk')
   AND a.published_at >= '2024-06-01' AND a.published_at < '2024-07-01'
 ORDER BY a.published_at;
