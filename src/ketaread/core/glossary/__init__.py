"""The glossary: curated terms, abbreviations an article defines, finding and marking terms.

Four jobs, all without Textual:

- loading `ketaread/data/glossary.toml` (cached once per process) and the user's own glossary
  on top of it (`load_glossary`);
- re-exporting the finder of abbreviations a text defines itself (`find_abbreviations`,
  `find_abbreviations_baseline`, `Abbreviation`), which lives in `ketaread.core.abbreviations`;
- finding which terms a text uses (`find_terms`) and turning their occurrences into
  `ketaread://term/<key>` links in Markdown (`mark_terms`);
- printing one definition (`format_definition`).

Article-defined abbreviations and the glossary meet in `find_terms`: when the article defines
a term the glossary also has ("default mode network (DMN)"), the hit keeps the glossary's key
and definition text, shows the article's long form as its expansion, and has origin "article";
an abbreviation the glossary does not know becomes a hit of its own whose definition says what
the article uses it for. Either way the popup can label it "defined in this article".

Link keys: a glossary term's key is `term_key(term)` ("nmda%20receptor"); an abbreviation only
the article defines has `term_key(short)` ("tau"), or "<that>-article" when the glossary means
something else by the same name, so that a link never opens the wrong definition.

Modules: `model` (entries, senses, hits), `names` (folding, plurals, the matcher),
`collection` (`Glossary`), `loading` (`load_glossary`), `finding` (`find_terms`), `marking`
(`mark_terms`, `article_terms`) and `printing` (`format_definition`). Callers import from
`ketaread.core.glossary`; `glossary_check` also uses `names` and `loading` directly.
"""

from __future__ import annotations

from ketaread.core.abbreviations import (
    Abbreviation,
    find_abbreviations,
    find_abbreviations_baseline,
)
from ketaread.core.glossary.collection import Glossary
from ketaread.core.glossary.finding import find_terms
from ketaread.core.glossary.loading import load_glossary
from ketaread.core.glossary.marking import article_terms, mark_terms
from ketaread.core.glossary.model import CERTAINTIES, GlossaryError, Sense, Term, TermHit, term_key
from ketaread.core.glossary.printing import CERTAINTY_LABELS as CERTAINTY_LABELS
from ketaread.core.glossary.printing import DEFAULT_SAFETY_TEXT as DEFAULT_SAFETY_TEXT
from ketaread.core.glossary.printing import format_definition
from ketaread.core.links import TERM_LINK_PREFIX

__all__ = [
    "CERTAINTIES",
    "TERM_LINK_PREFIX",
    "Abbreviation",
    "Glossary",
    "GlossaryError",
    "Sense",
    "Term",
    "TermHit",
    "article_terms",
    "find_abbreviations",
    "find_abbreviations_baseline",
    "find_terms",
    "format_definition",
    "load_glossary",
    "mark_terms",
    "term_key",
]
