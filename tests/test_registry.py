"""The shipped registry against real URLs: each entry takes the article URLs its evidence
quotes (its `examples`), and no entry takes pages the evidence says are not Kyrgyz."""

from __future__ import annotations

import pytest

from crawler.sources.registry import load_registry

REGISTRY = load_registry()

# Pages of the same sites in other languages (quoted in the project's notes on the live
# sites), and listing pages shaped like articles: no shipped source may take them.
NOT_KYRGYZ_ARTICLES = [
    "https://ru.sputnik.kg/20160906/1029034472.html",  # the Russian edition
    "https://www.turmush.kg/ru/news:1817155?from=portal&place=last",  # Turmush in Russian
    "https://ru.kabar.kg/news/deputatskaya-gruppa-ata-zhurt-pereimenovana-v-el-umutu-ata-zhurt/",
    "https://en.kabar.kg/news/nationalization-of-kumtor-brings-16-billion-to-the-budget/",
    "https://24.kg/obschestvo/362751_nedelya-24_nachalo_mesyatsa_ramazan_ikadrovaya_peretryaska_vkyirgyizstane/",
    "https://24.kg/english/118585_Popular_Kyrgyz-language_Super_Info_media_outlet_has_new_owner/",
    "https://www.bbc.com/kyrgyz/institutional-49677275",
    "https://kg.akipress.org/news:1817155",  # akipress is Russian, whatever its host says
    # listing pages shaped like articles
    "https://serep.kg/kabarlar/sayasat/?page=2",
    "https://serep.kg/kabarlar/sayasat/amp/",
    "https://kg.kabar.kg/news/page2",
    "https://kg.kabar.kg/news/rss",
]


def test_at_least_fourteen_kyrgyz_sources_ship() -> None:
    assert len(REGISTRY.sources) >= 14
    assert {source.language for source in REGISTRY.sources} == {"ky"}


@pytest.mark.parametrize("source", REGISTRY.sources, ids=lambda s: s.key)
def test_every_entry_takes_the_real_urls_it_rests_on(source) -> None:  # type: ignore[no-untyped-def]
    assert source.examples, f"{source.key}: quote the real article URLs it rests on"
    for url in source.examples:
        assert source.article_id(url) is not None, url
        owners = [other.key for other in REGISTRY.sources if other.article_id(url) is not None]
        assert owners == [source.key], (url, owners)


@pytest.mark.parametrize("url", NOT_KYRGYZ_ARTICLES)
def test_no_entry_takes_pages_in_other_languages_or_listings(url: str) -> None:
    assert [s.key for s in REGISTRY.sources if s.article_id(url) is not None] == []
